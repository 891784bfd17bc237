/**
 * `npm run migrations:create -w subgraphs/<name>`: writes a new migration for each dialect from the difference
 * between the subgraph's entities and its checked-in snapshot. Runs against scratch databases, never real ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { databaseUrlFor, dropPostgresDatabase, migrateToLatest, openDatabase, type DatabaseTarget } from '../database';
import { loadSubgraphDefinition } from '../definitions';
import { subgraphEntities, type SubgraphDefinition } from '../definition';

async function createFor(definition: SubgraphDefinition, target: DatabaseTarget): Promise<void> {
  const orm = await openDatabase({
    subgraph: definition.name,
    target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
  });
  try {
    await migrateToLatest(orm);
    const result = await orm.getMigrator().createMigration();
    console.log(
      result.diff.up.length === 0
        ? `${definition.name}/${target.dialect}: entities match the migrations; nothing to create`
        : `${definition.name}/${target.dialect}: wrote ${result.fileName}`,
    );
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  const name = basename(process.cwd());
  const definition = loadSubgraphDefinition(name);

  const scratch = mkdtempSync(join(tmpdir(), `azora-migrations-${name}-`));
  try {
    await createFor(definition, { dialect: 'sqlite', file: join(scratch, `${name}.sqlite`) });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const server = process.env.AZORA_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const url = databaseUrlFor(server, `azora_scratch_${name}_${randomBytes(4).toString('hex')}`);
  try {
    await createFor(definition, { dialect: 'postgresql', url });
  } finally {
    await dropPostgresDatabase(url).catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
