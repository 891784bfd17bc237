import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MikroORM, type AnyEntity, type EntitySchema, type Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { AbstractSqlDriver, EntityManager } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Logger } from './logger';
import type { SubgraphMetrics } from './metrics';

export type Dialect = 'sqlite' | 'postgresql';

/** Where one subgraph's database lives. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'postgresql'; url: string };

export type SqlEntityManager = EntityManager<AbstractSqlDriver>;
export type Orm = MikroORM<AbstractSqlDriver>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EntityDefinition = EntitySchema<any, any> | (new (...args: any[]) => AnyEntity);

/**
 * The database selection rule, in order: this subgraph's own `DATABASE_URL`; else `AZORA_DATABASE_URL`, a server on
 * which the subgraph gets the database `azora_<subgraph>`; else a SQLite file under the data directory.
 */
export function resolveDatabaseTarget(
  subgraph: string,
  env: { DATABASE_URL?: string; AZORA_DATABASE_URL?: string; AZORA_DATA_DIR: string },
): DatabaseTarget {
  if (env.DATABASE_URL) return { dialect: 'postgresql', url: env.DATABASE_URL };
  if (env.AZORA_DATABASE_URL) return { dialect: 'postgresql', url: databaseUrlFor(env.AZORA_DATABASE_URL, `azora_${subgraph}`) };
  return { dialect: 'sqlite', file: resolve(env.AZORA_DATA_DIR, `${subgraph}.sqlite`) };
}

/** The same server URL pointing at another database. */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

const SAFE_DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the PostgreSQL database named in `url` when it does not exist (safe under concurrent starts). */
export async function ensurePostgresDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!SAFE_DB_NAME.test(name)) throw new Error(`unsafe PostgreSQL database name "${name}"`);
  const admin = new Client({ connectionString: databaseUrlFor(url, 'postgres') });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(`create database "${name}"`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database, 23505 unique_violation: another process created it first.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await admin.end();
  }
}

/** Drops a PostgreSQL database (test clean-up). */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!SAFE_DB_NAME.test(name)) throw new Error(`unsafe PostgreSQL database name "${name}"`);
  const admin = new Client({ connectionString: databaseUrlFor(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

export interface OpenDatabaseOptions {
  subgraph: string;
  target: DatabaseTarget;
  entities: EntityDefinition[];
  /** The subgraph's `src/migrations` folder; each dialect has its own subfolder and snapshot. */
  migrationsDir: string;
  poolMax?: number;
  log?: Logger;
  metrics?: SubgraphMetrics;
}

/** MikroORM options for a subgraph database. Also used by the migration CLI. */
export function ormOptions(options: OpenDatabaseOptions): Options<AbstractSqlDriver> {
  const { target, subgraph } = options;
  const migrationsPath = join(options.migrationsDir, target.dialect);
  const common = {
    entities: options.entities,
    extensions: [Migrator],
    allowGlobalContext: false,
    // Only the per-request fork may be used: a global identity map would leak data between requests.
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      glob: '!(*.d).{js,ts}',
      emit: 'ts' as const,
      snapshotName: `.snapshot-${subgraph}-${target.dialect}`,
      transactional: true,
      silent: true,
      allOrNothing: true,
    },
    forceUndefined: false,
    ignoreUndefinedInQuery: true,
  };
  if (target.dialect === 'sqlite') {
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName: target.file,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          // WAL lets backups and readers run beside the writer; busy_timeout rides out a brief lock instead of failing.
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        },
      },
    } as Options<AbstractSqlDriver>;
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: target.url,
    pool: { min: 0, max: options.poolMax ?? 10, idleTimeoutMillis: 10_000 },
  } as Options<AbstractSqlDriver>;
}

/** Opens (creating if needed) the subgraph's database and wires query metrics. Does not migrate. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Orm> {
  if (options.target.dialect === 'sqlite') {
    mkdirSync(resolve(options.target.file, '..'), { recursive: true });
  } else {
    await ensurePostgresDatabase(options.target.url);
  }
  const orm = (await MikroORM.init(ormOptions(options))) as Orm;
  const metrics = options.metrics;
  if (metrics) {
    const started = new Map<string, bigint>();
    const knex = orm.em.getConnection().getKnex();
    knex.on('query', (q: { __knexQueryUid: string }) => {
      metrics.dbQueries.inc();
      started.set(q.__knexQueryUid, process.hrtime.bigint());
    });
    const finish = (_: unknown, q: { __knexQueryUid: string }) => {
      const t0 = started.get(q.__knexQueryUid);
      if (t0 === undefined) return;
      started.delete(q.__knexQueryUid);
      metrics.dbQueryDuration.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    };
    knex.on('query-response', finish);
    knex.on('query-error', finish);
  }
  return orm;
}

/** Applies every checked-in migration that has not run yet; a second call applies nothing. */
export async function migrateToLatest(orm: Orm, log?: Logger): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  if (applied.length > 0) log?.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
  return applied.map((m) => m.name);
}

/** Readiness probe: one round trip to the database. */
export async function databaseAnswers(orm: Orm): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}

export type { EntityManager };
