// Jest's Node environment. A worker process leaves with process.exit() once Jest lets it go: left to
// exit by itself, Node frees a heap that the integration files grow to hundreds of megabytes,
// which takes longer than the half second Jest waits before it kills the worker and warns.
const { TestEnvironment } = require('jest-environment-node');

if (process.argv[1]?.endsWith('processChild.js')) {
  process.once('beforeExit', (code) => process.exit(code));
}

module.exports = TestEnvironment;
