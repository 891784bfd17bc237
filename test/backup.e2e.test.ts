import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import {
  backupAll,
  migrateToLatest,
  openDatabase,
  resolveDatabaseTarget,
  restoreAll,
  subgraphEntities,
  type DatabaseTarget,
  type SqlEntityManager,
} from '@azora/kit';
import {
  allSubgraphs,
  runInRepo,
  scratchDatabase,
  startPlatform,
  testDialects,
  twoAccounts,
  type Platform,
  type SignedIn,
} from '@azora/testing';
import { User } from '../subgraphs/aegis/src/entities/user.entity';
import { Currency } from '../subgraphs/mint/src/entities/currency.entity';
import { ledgerReport } from '../subgraphs/mint/src/report.service';

type Contents = Record<string, Record<string, unknown>[]>;

/** Every row of every table, read with a plain client (no ORM, no cache): what "exactly the same data" means here. */
async function contents(target: DatabaseTarget): Promise<Contents> {
  if (target.dialect === 'sqlite') {
    const db = new Database(target.file, { readonly: true });
    try {
      const tables = db
        .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
        .all() as { name: string }[];
      return Object.fromEntries(
        tables.map(({ name }) => [
          name,
          db.prepare(`select * from "${name}" order by 1`).all() as Record<string, unknown>[],
        ]),
      );
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: target.url });
  await client.connect();
  try {
    const tables = await client.query(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    const result: Contents = {};
    for (const { table_name: name } of tables.rows)
      result[name] = (await client.query(`select * from "${name}" order by 1`)).rows;
    return result;
  } finally {
    await client.end();
  }
}

async function contentsOf(databases: Record<string, DatabaseTarget>): Promise<Record<string, Contents>> {
  const entries = await Promise.all(
    Object.entries(databases).map(async ([name, target]) => [name, await contents(target)] as const),
  );
  return Object.fromEntries(entries);
}

/** Data across subgraphs made the way clients make it: two people in Aegis, their Mint accounts, a deposit, a transfer. */
async function makeData(platform: Platform, tag: string, treasury: SignedIn): Promise<void> {
  const { send } = await twoAccounts(platform, treasury, [`${tag}-a`, `${tag}-b`]);
  expect((await send(`${tag}-t`)).body.errors).toBeUndefined();
}

/** Mint's own reconciliation over a database (restored ones included). */
async function ledgerBalanced(target: DatabaseTarget): Promise<boolean> {
  const definition = allSubgraphs().find((d) => d.name === 'mint')!;
  const orm = await openDatabase({
    subgraph: 'mint',
    target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
  });
  try {
    const em = orm.em.fork() as SqlEntityManager;
    return (await ledgerReport(em, await em.findOneOrFail(Currency, { code: 'USD' }))).balanced;
  } finally {
    await orm.close(true);
  }
}

describe.each(testDialects())('backup and restore on %s', (dialect) => {
  let platform: Platform;
  const backups = mkdtempSync(join(tmpdir(), 'azora-backups-'));
  const fresh = allSubgraphs().map((d) => ({ name: d.name, ...scratchDatabase(dialect, d.name) }));
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: allSubgraphs() });
  });
  afterAll(async () => {
    await platform?.stop();
    await Promise.all(fresh.map((f) => f.drop()));
    rmSync(backups, { recursive: true, force: true });
  });

  it('brings every subgraph back to exactly the backup point, and never overwrites data unless forced', async () => {
    const treasury = await platform.userWithRoles(['treasury'], 'treasurer');
    await makeData(platform, 'kept', treasury);
    // The outbox relay marks events published in the background: let it finish before each snapshot.
    const settled = async () => {
      for (let round = 0; round < 50; round++) {
        const sent = await Promise.all(Object.values(platform.subgraphs).map((s) => s.relay.drain()));
        if (sent.every((n) => n === 0)) return; // nothing left to publish, and every consumer (Nexus) has run
      }
    };
    await settled();
    const atBackup = await contentsOf(platform.databases);
    expect(atBackup.aegis!.users!.filter((u) => String(u.email).startsWith('kept-'))).toHaveLength(2);
    expect(atBackup.mint!.transfers!.map((t) => t.kind).sort()).toEqual(['DEPOSIT', 'TRANSFER']);

    const folder = await backupAll(
      Object.entries(platform.databases).map(([subgraph, target]) => ({ subgraph, target })),
      backups,
    );
    expect(basename(folder)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);

    // Life goes on after the backup: new people, more money moving, a deleted user.
    await makeData(platform, 'later', treasury);
    const aegisEm = platform.subgraphs.aegis!.orm.em.fork() as SqlEntityManager;
    await aegisEm.nativeDelete(User, { email: { $like: 'kept-a%' } });
    await settled();
    const later = await contentsOf(platform.databases);
    expect(later).not.toEqual(atBackup);

    // Into empty (here: missing) databases a restore needs no force.
    const freshTargets = Object.fromEntries(fresh.map((f) => [f.name, f.target]));
    await restoreAll(folder, (subgraph) => freshTargets[subgraph]!);
    expect(await contentsOf(freshTargets)).toEqual(atBackup);
    expect(await ledgerBalanced(freshTargets.mint!)).toBe(true);

    // Over the live databases it refuses, naming every one, and changes nothing.
    await expect(restoreAll(folder, (subgraph) => platform.databases[subgraph]!)).rejects.toThrow(
      /Refusing to restore[\s\S]*aegis: .* is not empty[\s\S]*mint: .* is not empty[\s\S]*--force/,
    );
    expect(await contentsOf(platform.databases)).toEqual(later);

    // Forced, with the subgraphs stopped as docs/operations.md says, it replaces them.
    for (const name of Object.keys(platform.subgraphs)) await platform.stopSubgraph(name);
    await restoreAll(folder, (subgraph) => platform.databases[subgraph]!, { force: true });
    expect(await contentsOf(platform.databases)).toEqual(atBackup);
    expect(await ledgerBalanced(platform.databases.mint!)).toBe(true);
  });
});

async function npmRun(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runInRepo('npm', ['run', '--silent', ...args], env);
  return { code: await run.exited, stdout: run.stdout(), stderr: run.stderr() };
}

// The commands an operator types, on the embedded default (the PostgreSQL path is the same code, tested above).
describe('npm run backup / npm run restore', () => {
  it('writes a dated folder with every subgraph, refuses to restore over data, and restores with --force', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'azora-data-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', AZORA_DATA_DIR: dataDir };
    delete env.AZORA_DATABASE_URL;
    delete env.DATABASE_URL;
    const usersIn = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('select email from users order by email').all() as { email: string }[]).map((u) => u.email);
      } finally {
        db.close();
      }
    };
    try {
      for (const definition of allSubgraphs()) {
        const orm = await openDatabase({
          subgraph: definition.name,
          target: resolveDatabaseTarget(definition.name, { AZORA_DATA_DIR: dataDir }),
          entities: subgraphEntities(definition),
          migrationsDir: definition.migrationsDir,
        });
        await migrateToLatest(orm);
        if (definition.name === 'aegis') {
          const em = orm.em.fork() as SqlEntityManager;
          em.create(User, { email: 'backed-up@example.test', displayName: 'Backed up', roles: ['learner'] });
          await em.flush();
        }
        await orm.close(true);
      }
      const aegisFile = join(dataDir, 'aegis.sqlite');

      const backup = await npmRun(['backup', '--', '--dir', join(dataDir, 'backups')], env);
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      const folder = backup.stdout.trim();
      expect(dirname(folder)).toBe(join(dataDir, 'backups'));
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      expect(manifest.subgraphs.map((s: { subgraph: string }) => s.subgraph).sort()).toEqual(
        allSubgraphs()
          .map((d) => d.name)
          .sort(),
      );
      for (const entry of manifest.subgraphs) expect(existsSync(join(folder, entry.file))).toBe(true);

      const refused = await npmRun(['restore', '--', folder], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is not empty');

      const db = new Database(aegisFile);
      db.prepare('delete from users').run();
      db.close();
      expect(usersIn(aegisFile)).toEqual([]);

      const forced = await npmRun(['restore', '--', folder, '--force'], env);
      expect(forced.code).toBe(0);
      expect(usersIn(aegisFile)).toEqual(['backed-up@example.test']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
