import { postgresReachable, TEST_POSTGRES_SERVER } from './postgres';

/**
 * Decides once whether integration tests also run on PostgreSQL. Workers start after this and inherit the variable.
 * With CI=true an unreachable PostgreSQL fails the whole run instead of quietly testing SQLite only.
 */
export default async function globalSetup(): Promise<void> {
  if (await postgresReachable()) {
    process.env.AZORA_TEST_POSTGRES = TEST_POSTGRES_SERVER;
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but PostgreSQL is unreachable at ${TEST_POSTGRES_SERVER}; refusing to test SQLite only.`);
  }
  console.warn(`\nPostgreSQL unreachable at ${TEST_POSTGRES_SERVER}: integration tests run on SQLite only.\n`);
}
