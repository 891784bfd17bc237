/**
 * What the benches' subgraph hosts share: the given subgraphs started in production mode, each on a scratch database
 * (PostgreSQL when it is reachable, as in production; the embedded SQLite otherwise), and stopped with their databases
 * dropped on SIGTERM.
 */
import { createLogger, startSubgraph, type EventBus, type RunningSubgraph, type SubgraphDefinition } from '@azora/kit';
import { postgresReachable, scratchDatabase, TEST_POSTGRES_SERVER } from '@azora/testing';

export async function startScratchSubgraphs(
  definitions: SubgraphDefinition[],
  bus?: EventBus,
): Promise<{ dialect: string; subgraphs: Record<string, RunningSubgraph> }> {
  const dialect = (await postgresReachable()) ? 'postgresql' : 'sqlite';
  if (dialect === 'postgresql') process.env.AZORA_TEST_POSTGRES = TEST_POSTGRES_SERVER;
  const databases = definitions.map((d) => scratchDatabase(dialect, d.name));
  const subgraphs: Record<string, RunningSubgraph> = {};
  for (const [i, definition] of definitions.entries()) {
    subgraphs[definition.name] = await startSubgraph(definition, {
      port: 0,
      nodeEnv: 'production',
      target: databases[i]!.target,
      logger: createLogger(definition.name, 'warn'),
      routerPublicKey: process.env.AZORA_ROUTER_PUBLIC_KEY!,
      env: process.env,
      ...(bus ? { bus } : {}),
    });
  }
  process.once('SIGTERM', async () => {
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    await bus?.close();
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    process.exit(0);
  });
  return { dialect, subgraphs };
}
