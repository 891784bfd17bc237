/** @type {import('jest').Config} */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: false, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

module.exports = {
  testEnvironment: 'node',
  // Unit tests end in .test.ts; integration tests (through the router, real databases) in .int.test.ts.
  testMatch: ['<rootDir>/{subgraphs,router,clients,test}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@azora/kit$': '<rootDir>/subgraphs/kit/src/index.ts',
    '^@azora/testing$': '<rootDir>/test/support/index.ts',
    '^@azora/router$': '<rootDir>/router/src/index.ts',
    '^@azora/sdk$': '<rootDir>/clients/sdk/src/index.ts',
    '^@azora/(aegis|mint|nexus|lms|forge)$': '<rootDir>/subgraphs/$1/src/schema.ts',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60_000,
};
