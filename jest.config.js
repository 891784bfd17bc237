/** @type {import('jest').Config} */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: false, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

/** What every lane shares. */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@azora/kit$': '<rootDir>/subgraphs/kit/src/index.ts',
    '^@azora/testing$': '<rootDir>/test/support/index.ts',
    '^@azora/router$': '<rootDir>/router/src/index.ts',
    '^@azora/sdk$': '<rootDir>/clients/sdk/src/index.ts',
    // Any other @azora/<name> is the subgraph in subgraphs/<name> (its package.json says where its entry is), so a
    // new subgraph needs no line here.
    '^@azora/(?!kit$|testing$|router$|sdk$|web$)([a-z][a-z0-9-]*)$': '<rootDir>/subgraphs/$1',
  },
};

const ROOTS = '<rootDir>/{subgraphs,router,clients,test}/**/';

/**
 * Three lanes, by what a test needs rather than by where it lives:
 * - unit: `*.test.ts`: no ports, no servers, no child processes; `npm run test:unit` runs only these, in seconds.
 * - int: `*.int.test.ts`: real subgraphs and routers in this process, on ephemeral ports, on SQLite and (when the
 *   global setup reaches it) PostgreSQL.
 * - e2e: `*.e2e.test.ts`: a browser, or the platform as child processes (`npm start`, the router's own process).
 * `npm test` runs all three.
 */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [`${ROOTS}*.test.ts`],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'int',
      testMatch: [`${ROOTS}*.int.test.ts`],
      testPathIgnorePatterns: ['/node_modules/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: [`${ROOTS}*.e2e.test.ts`],
      testPathIgnorePatterns: ['/node_modules/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
  testTimeout: 60_000,
};
