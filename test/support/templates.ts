import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  databaseUrlFor,
  dropPostgresDatabase,
  migrateToLatest,
  openDatabase,
  subgraphEntities,
  type DatabaseTarget,
  type Dialect,
  type SubgraphDefinition,
} from '@azora/kit';

/**
 * Migrated databases by copy. Migrating every scratch database from nothing cost most of a platform's start; instead
 * each subgraph's migrations run once per dialect into a template, and each scratch database is a copy of it (the
 * SQLite file copied, `CREATE DATABASE … TEMPLATE` on PostgreSQL). A template is named by a hash of the migration
 * files, so a changed migration gets a new template, and it is published atomically (a rename), so two test runs
 * on one machine, or two jest workers, may build the same template at once: one rename wins, the other copy is
 * discarded. test/migrations.int.test.ts still migrates from nothing, so the migrations themselves stay proven.
 */

/** A hash of the subgraph's migration files for one dialect (the snapshot is left out: the migrator rewrites it). */
function migrationsHash(definition: SubgraphDefinition, dialect: Dialect): string {
  const dir = join(definition.migrationsDir, dialect);
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) {
    if (!/^Migration.*\.ts$/.test(file)) continue;
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Runs every migration of `definition` into a fresh database at `target`, then closes it. */
async function migrateInto(definition: SubgraphDefinition, target: DatabaseTarget): Promise<void> {
  const orm = await openDatabase({
    subgraph: definition.name,
    target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
  });
  try {
    await migrateToLatest(orm);
    // The template must be one self-contained file: leave WAL mode, which folds the write-ahead log back in.
    if (target.dialect === 'sqlite') await orm.em.getConnection().execute('pragma journal_mode = delete');
  } finally {
    await orm.close(true);
  }
}

/** Templates this process has made sure of, so concurrent platform starts in one worker ask only once. */
const ready = new Map<string, Promise<string>>();

function once(key: string, make: () => Promise<string>): Promise<string> {
  let template = ready.get(key);
  if (!template) {
    template = make();
    ready.set(key, template);
    template.catch(() => ready.delete(key)); // a failed build is retried by the next caller
  }
  return template;
}

const TEMPLATE_DIR = join(tmpdir(), 'azora-test-templates');

/** The path of the subgraph's migrated SQLite template, built first if no run on this machine has built it. */
function sqliteTemplate(definition: SubgraphDefinition): Promise<string> {
  const file = join(TEMPLATE_DIR, `${definition.name}-${migrationsHash(definition, 'sqlite')}.sqlite`);
  return once(file, async () => {
    if (existsSync(file)) return file;
    mkdirSync(TEMPLATE_DIR, { recursive: true });
    const building = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.building`;
    try {
      await migrateInto(definition, { dialect: 'sqlite', file: building });
      renameSync(building, file); // atomic: a reader sees no template or a whole one
    } finally {
      rmSync(building, { force: true });
      rmSync(`${building}-wal`, { force: true });
      rmSync(`${building}-shm`, { force: true });
    }
    return file;
  });
}

async function onServer<T>(server: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrlFor(server, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The name of the subgraph's migrated PostgreSQL template database, built first if none on the server has it. */
function postgresTemplate(server: string, definition: SubgraphDefinition): Promise<string> {
  const name = `azora_tpl_${definition.name}_${migrationsHash(definition, 'postgresql')}`;
  return once(`${server}\n${name}`, async () => {
    const exists = await onServer(
      server,
      async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount,
    );
    if (exists) return name;
    const building = `azora_tb_${randomBytes(5).toString('hex')}_${definition.name}`;
    const url = databaseUrlFor(server, building);
    try {
      await migrateInto(definition, { dialect: 'postgresql', url });
      // Renamed once complete and with no connection left, so a copy never starts from a half-migrated template.
      await onServer(server, (c) => c.query(`alter database "${building}" rename to "${name}"`)).catch(
        (error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // duplicate_database: another run published it first
        },
      );
    } finally {
      await dropPostgresDatabase(url); // a no-op once renamed
    }
    return name;
  });
}

/** Fills an empty scratch database (`target`, from `scratchDatabase`) with a copy of the subgraph's template. */
export async function copyTemplateInto(
  definition: SubgraphDefinition,
  target: DatabaseTarget,
  postgresServer?: string,
): Promise<void> {
  if (target.dialect === 'sqlite') {
    copyFileSync(await sqliteTemplate(definition), target.file);
    return;
  }
  if (!postgresServer) throw new Error('a PostgreSQL scratch database needs the test server URL');
  const template = await postgresTemplate(postgresServer, definition);
  const name = decodeURIComponent(new URL(target.url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe PostgreSQL database name "${name}"`);
  await onServer(postgresServer, (c) => c.query(`create database "${name}" template "${template}"`));
}
