import { migrateToLatest, openDatabase, subgraphEntities } from '@azora/kit';
import { allSubgraphs, scratchDatabase, testDialects } from '@azora/testing';

describe.each(testDialects())('checked-in migrations on %s', (dialect) => {
  it.each(allSubgraphs().map((s) => [s.name, s] as const))(
    '%s: migrations cover every entity change',
    async (_name, definition) => {
      const database = scratchDatabase(dialect, definition.name);
      const orm = await openDatabase({
        subgraph: definition.name,
        target: database.target,
        entities: subgraphEntities(definition),
        migrationsDir: definition.migrationsDir,
      });
      try {
        expect((await migrateToLatest(orm)).length).toBeGreaterThan(0);
        expect(await migrateToLatest(orm)).toEqual([]);
        // The migrator's own check: the migrated schema plus the snapshot match the entities, or a migration is missing.
        expect(await orm.getMigrator().checkMigrationNeeded()).toBe(false);
      } finally {
        await orm.close(true);
        await database.drop();
      }
    },
  );
});
