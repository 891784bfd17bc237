import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import {
  dropPostgresDatabase,
  ensurePostgresDatabase,
  postgresDatabaseExists,
  type DatabaseTarget,
  type Dialect,
} from './database';

const run = promisify(execFile);

/** What a backup folder holds: one file per subgraph database. */
export interface BackupManifest {
  createdAt: string;
  subgraphs: { subgraph: string; dialect: Dialect; file: string }[];
}

export const MANIFEST_FILE = 'manifest.json';

/** pg_dump/pg_restore arguments for a URL, with the password moved to the environment (argv is visible in `ps`). */
function postgresCommand(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: password ? { ...process.env, PGPASSWORD: password } : process.env };
}

/**
 * Copies one database to `file` while it stays in use. Each copy is consistent on its own: pg_dump reads one
 * snapshot, and SQLite's online backup API copies a single committed state.
 */
export async function backupDatabase(target: DatabaseTarget, file: string): Promise<void> {
  if (target.dialect === 'sqlite') {
    const db = new Database(target.file, { readonly: true, fileMustExist: true });
    try {
      await db.backup(file);
    } finally {
      db.close();
    }
    return;
  }
  const { dbname, env } = postgresCommand(target.url);
  await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${dbname}`], {
    env,
  });
}

/** True when the database is missing or has no tables: a restore cannot overwrite anything there. */
export async function databaseIsEmpty(target: DatabaseTarget): Promise<boolean> {
  if (target.dialect === 'sqlite') {
    if (!existsSync(target.file)) return true;
    const db = new Database(target.file, { readonly: true });
    try {
      return (
        (db.prepare("select count(*) as n from sqlite_master where type = 'table'").get() as { n: number }).n === 0
      );
    } finally {
      db.close();
    }
  }
  if (!(await postgresDatabaseExists(target.url))) return true;
  const client = new Client({ connectionString: target.url });
  await client.connect();
  try {
    const tables = await client.query(
      "select count(*)::int as n from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')",
    );
    return tables.rows[0].n === 0;
  } finally {
    await client.end();
  }
}

/** Replaces one database with the backup in `file`; `force` drops a PostgreSQL database first (see restoreAll). */
async function restoreDatabase(target: DatabaseTarget, file: string, options: { force?: boolean }): Promise<void> {
  if (target.dialect === 'sqlite') {
    mkdirSync(dirname(target.file), { recursive: true });
    // The backup API writes through a SQLite connection to the destination, so its WAL is replaced consistently too.
    const backup = new Database(file, { readonly: true, fileMustExist: true });
    try {
      await backup.backup(target.file);
    } finally {
      backup.close();
    }
    return;
  }
  if (options.force) await dropPostgresDatabase(target.url);
  await ensurePostgresDatabase(target.url);
  const { dbname, env } = postgresCommand(target.url);
  await run(
    'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${dbname}`, file],
    { env },
  );
}

/** A database named for messages, without its password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.dialect === 'sqlite') return target.file;
  const url = new URL(target.url);
  url.password = '';
  return url.toString();
}

/** `2026-11-26T06-42-52-123Z`: sorts by time and is a valid folder name everywhere. */
const folderName = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

/** Backs up every given database into a new dated folder under `parent`, with a manifest; returns the folder. */
export async function backupAll(
  databases: { subgraph: string; target: DatabaseTarget }[],
  parent: string,
): Promise<string> {
  const now = new Date();
  const folder = join(parent, folderName(now));
  mkdirSync(parent, { recursive: true });
  mkdirSync(folder); // fails rather than mixing two backups in one folder
  const manifest: BackupManifest = { createdAt: now.toISOString(), subgraphs: [] };
  for (const { subgraph, target } of databases) {
    const file = `${subgraph}.${target.dialect === 'sqlite' ? 'sqlite' : 'pgdump'}`;
    await backupDatabase(target, join(folder, file));
    manifest.subgraphs.push({ subgraph, dialect: target.dialect, file });
  }
  // Written last: a folder without a manifest is an unfinished backup, and restore refuses it.
  writeFileSync(join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return folder;
}

/**
 * Restores a backup folder, each subgraph into the database `targetOf` names. A database must be empty (or missing)
 * unless `force`, which replaces it: a restore never merges a backup into newer data. Every check passes before the
 * first database is touched. Stop the subgraphs before a forced restore: connections to a dropped PostgreSQL
 * database are cut.
 */
export async function restoreAll(
  folder: string,
  targetOf: (subgraph: string) => DatabaseTarget,
  options: { force?: boolean } = {},
): Promise<BackupManifest> {
  const manifestFile = join(folder, MANIFEST_FILE);
  if (!existsSync(manifestFile)) throw new Error(`${folder} has no ${MANIFEST_FILE}: not a finished backup`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BackupManifest;
  const plan = manifest.subgraphs.map((entry) => ({ ...entry, target: targetOf(entry.subgraph) }));
  const problems: string[] = [];
  for (const { subgraph, dialect, target } of plan) {
    if (target.dialect !== dialect)
      problems.push(`${subgraph}: the backup is ${dialect}, the database is ${target.dialect}`);
    else if (!options.force && !(await databaseIsEmpty(target)))
      problems.push(`${subgraph}: ${describeTarget(target)} is not empty`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Refusing to restore ${folder}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nUse --force to replace non-empty databases.`,
    );
  }
  for (const { file, target } of plan) await restoreDatabase(target, join(folder, file), options);
  return manifest;
}
