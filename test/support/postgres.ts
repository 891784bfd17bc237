import { Client } from 'pg';

/** The PostgreSQL server tests use: AZORA_TEST_DATABASE_URL, else the local trust-auth server. */
export const TEST_POSTGRES_SERVER =
  process.env.AZORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The Redis server tests use (the Redis bus, shared rate limits and APQ): AZORA_TEST_REDIS_URL, else the local one. */
export const TEST_REDIS_URL = process.env.AZORA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function postgresReachable(url = TEST_POSTGRES_SERVER): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
