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

const { readdirSync, readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

/** Every unit test file under the test roots (not int or e2e). */
function unitTestFiles(dir = __dirname) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : unitTestFiles(path);
    return /(?<!\.int|\.e2e)\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

/**
 * Unit tests that open a SQLite database, and so load better-sqlite3's native addon: found by what they call
 * (`scratchOrm`, `openDatabase`, or better-sqlite3 itself), so a new one needs no list. CI's Node 24 lane runs on an
 * npm-installed Node for which no addon can be built here, so with AZORA_TEST_NO_NATIVE_ADDONS=true the unit lane
 * leaves exactly these out (they run in every `npm test` on the machine's Node).
 */
const needsNativeAddon = () =>
  unitTestFiles()
    .filter((file) => /\b(scratchOrm|openDatabase)\b|better-sqlite3/.test(readFileSync(file, 'utf8')))
    .map((file) => `/${relative(__dirname, file).replace(/[.]/g, '\\.')}$`);
const portableOnly = process.env.AZORA_TEST_NO_NATIVE_ADDONS === 'true';

/**
 * Three lanes, by what a test needs rather than by where it lives:
 * - unit: `*.test.ts`: no ports, no servers, no child processes; `npm run test:unit` runs only these, in seconds.
 * - int: `*.int.test.ts`: real subgraphs and routers in this process, on ephemeral ports, on SQLite and (when the
 *   global setup reaches it) PostgreSQL.
 * - e2e: `*.e2e.test.ts`: a browser, or the platform as child processes (`npm start`, the router's own process).
 * `npm test` runs all three. The Node 24 lane in .ci/run runs `unit` minus the tests that load better-sqlite3.
 */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [`${ROOTS}*.test.ts`],
      testPathIgnorePatterns: [
        '/node_modules/',
        '\\.int\\.test\\.ts$',
        '\\.e2e\\.test\\.ts$',
        ...(portableOnly ? needsNativeAddon() : []),
      ],
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
  // Two workers, one per core of the 2-core machines this runs on (jest's default, cores - 1, runs in band). Measured
  // here: ten int suites took 126 s in one worker using 120 s of CPU, so a suite keeps one core busy and a second
  // worker has a whole core to use whenever the machine is otherwise idle, as it is for CI (and the slowest suite,
  // the ledger's stress test, no longer holds up the rest). On a machine busy with other work a second worker
  // gains nothing (the same ten took 322 s with two workers at a load average of 6-19): run `npx jest -w 1` there.
  maxWorkers: 2,
};
