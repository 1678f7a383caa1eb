// Unit specs live beside the code (src/**/*.spec.ts); integration specs in test/ boot the real app
// on a fresh Postgres database per file, so files run in parallel safely.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    // import() stays a dynamic import: openid-client and oidc-provider are ES modules only, which
    // Jest loads through import() (node --experimental-vm-modules), never through require().
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/test/support/jest-environment.js',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 180000,
  // Each integration file boots the whole app in its own module registry, and a worker's heap grows
  // across files (1.3 GB by the end of a full run without this): past 512 MB a worker is replaced
  // after the file it ran. Measured: the API suite ~5 % faster (337-342 s against 354-357 s).
  workerIdleMemoryLimit: '512MB',
};
