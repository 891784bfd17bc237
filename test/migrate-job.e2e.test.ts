import {
  createLogger,
  databaseEnvSchema,
  generateAssertionKeys,
  openDatabase,
  parseEnv,
  resolveDatabaseTarget,
  startSubgraph,
  subgraphEntities,
} from '@azora/kit';
import { runInRepo, scratchDatabase, testDialects } from '@azora/testing';
import { aegis } from '@azora/aegis';

async function entrypoint(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const run = runInRepo('sh', ['docker/entrypoint.sh', ...args], { ...process.env, ...env });
  return { code: await run.exited, output: run.output() };
}

describe.each(testDialects())('the migration job (`docker/entrypoint.sh migrate`) on %s', (dialect) => {
  it('migrates the database the subgraph will use, which then starts without migrating; a database behind is refused', async () => {
    const database = scratchDatabase(dialect, 'aegis');
    // The job finds the database through the same environment the subgraph reads.
    const quiet = {
      nodeEnv: 'test' as const,
      logger: createLogger('aegis', 'silent'),
      migrate: false,
      routerPublicKey: generateAssertionKeys().publicKey,
    };
    const env =
      database.target.dialect === 'sqlite'
        ? { NODE_ENV: 'test', AZORA_DATA_DIR: database.target.file.replace(/\/aegis\.sqlite$/, '') }
        : { NODE_ENV: 'test', DATABASE_URL: database.target.url };
    try {
      // A subgraph that may not migrate refuses an empty database, naming what is missing.
      await expect(startSubgraph(aegis, { ...quiet, target: database.target })).rejects.toThrow(
        /lacks migrations Migration\d+.*run the migration job first/,
      );

      const job = await entrypoint(['migrate', 'aegis'], env);
      expect(job.output).toContain('"msg":"migrated"');
      expect(job.code).toBe(0);
      expect(resolveDatabaseTarget('aegis', parseEnv(databaseEnvSchema, env))).toEqual(database.target);

      const orm = await openDatabase({
        subgraph: 'aegis',
        target: database.target,
        entities: subgraphEntities(aegis),
        migrationsDir: aegis.migrationsDir,
      });
      expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
      await orm.close(true);

      const running = await startSubgraph(aegis, { ...quiet, target: database.target });
      expect((await fetch(new URL('/ready', running.url))).status).toBe(200);
      await running.stop();
    } finally {
      await database.drop();
    }
  });
});

describe('docker/entrypoint.sh', () => {
  it('refuses an unknown subgraph before starting anything', async () => {
    const job = await entrypoint(['migrate', 'nosuch'], {});
    expect(job.code).toBe(64);
    expect(job.output).toContain('no subgraph "nosuch"');
  });
});
