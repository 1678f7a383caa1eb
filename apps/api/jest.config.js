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
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 180000,
};
