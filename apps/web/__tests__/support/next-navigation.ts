// Shared stand-in for next/navigation; tests call jest.mock('next/navigation', () => navigation).
export const router = { replace: jest.fn(), push: jest.fn(), refresh: jest.fn(), back: jest.fn(), prefetch: jest.fn() };
let currentPath = '/overview';

export function setPathname(path: string) {
  currentPath = path;
}

export const navigation = {
  useRouter: () => router,
  usePathname: () => currentPath,
  useSearchParams: () => new URLSearchParams(),
  redirect: jest.fn(),
};
