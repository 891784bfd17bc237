/**
 * `migrate <subgraph>...` (docker/entrypoint.sh): applies each named subgraph's checked-in migrations to its database,
 * chosen by the same environment as the subgraph itself (DATABASE_URL, AZORA_DATABASE_URL or the SQLite data
 * directory), then exits. Compose and Kubernetes run it as a one-shot job before the services start, so replicas
 * never race each other to migrate; the services then run with AZORA_MIGRATE_ON_START=false.
 */
import { databaseEnvSchema, parseEnv, subgraphProductionRules } from '../config';
import { migrateToLatest, openDatabase, resolveDatabaseTarget } from '../database';
import { loadSubgraphDefinition } from '../definitions';
import { subgraphEntities } from '../definition';
import { createLogger } from '../logger';

async function main(names: string[]): Promise<void> {
  const log = createLogger('migrate');
  if (names.length === 0) throw new Error('usage: migrate <subgraph>...');
  const env = parseEnv(databaseEnvSchema, process.env, [subgraphProductionRules]);
  log.level = env.LOG_LEVEL;
  if (env.DATABASE_URL && names.length > 1)
    throw new Error('DATABASE_URL names one database: migrate one subgraph with it');
  for (const name of names) {
    const definition = loadSubgraphDefinition(name);
    const target = resolveDatabaseTarget(name, env);
    const orm = await openDatabase({
      subgraph: name,
      target,
      entities: subgraphEntities(definition),
      migrationsDir: definition.migrationsDir,
    });
    try {
      const applied = await migrateToLatest(orm);
      log.info(
        { subgraph: name, database: target.dialect, applied },
        applied.length ? 'migrated' : 'already up to date',
      );
    } finally {
      await orm.close(true);
    }
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  createLogger('migrate').fatal({ err: error }, (error as Error).message);
  process.exit(1);
});
