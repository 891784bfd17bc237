/**
 * `npm run backup [-- --dir <parent>]`: backs up the database of every subgraph in supergraph.yaml into a new dated
 * folder (default parent: ./backups) and prints the folder.
 * `npm run restore -- <folder> [--force]`: restores such a folder; refuses non-empty databases unless --force.
 *
 * The databases are found as the subgraphs find them: AZORA_DATABASE_URL (database azora_<name> each, needs pg_dump and
 * pg_restore at least as new as the server) or the SQLite files under AZORA_DATA_DIR (default .data).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupAll, databaseEnvSchema, parseEnv, resolveDatabaseTarget, restoreAll } from '@azora/kit';
import { SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig } from '../router/src/supergraph-config';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { dir: { type: 'string', default: 'backups' }, force: { type: 'boolean', default: false } },
  });
  const [command, folder] = positionals;
  const env = parseEnv(databaseEnvSchema);
  if (env.DATABASE_URL)
    throw new Error('DATABASE_URL names one database; to reach every subgraph use AZORA_DATABASE_URL');
  const targetOf = (subgraph: string) => resolveDatabaseTarget(subgraph, env);

  if (command === 'backup') {
    const subgraphs = readSupergraphConfig(SUPERGRAPH_CONFIG).map(({ name }) => ({
      subgraph: name,
      target: targetOf(name),
    }));
    console.log(await backupAll(subgraphs, resolve(values.dir)));
  } else if (command === 'restore' && folder) {
    const manifest = await restoreAll(resolve(folder), targetOf, { force: values.force });
    console.log(`restored ${manifest.subgraphs.map((s) => s.subgraph).join(', ')} to ${manifest.createdAt}`);
  } else {
    throw new Error('usage: backup.ts backup [--dir <parent>] | backup.ts restore <folder> [--force]');
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
