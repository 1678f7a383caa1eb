// The API origin is deliberately NOT configured here: rewrites in this file are frozen at build
// time, and operators must be able to point a built dashboard at another API with
// CODEX_LB_API_URL. app/api/[...path]/route.ts reads it per request instead.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The shared lib is a workspace package compiled to CommonJS; let Next bundle it.
  transpilePackages: ['@codex-lb/shared'],
};

export default nextConfig;
