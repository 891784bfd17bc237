/**
 * A process running the subgraphs named on the command line, for `npm run bench:subgraphs` (one process per subgraph,
 * so each one's CPU time is its own). Each gets a scratch database (PostgreSQL when reachable, SQLite otherwise) and
 * is started in production mode; they publish to the Redis stream in BENCH_EVENT_STREAM when BENCH_REDIS_URL is set
 * (Nexus logs the other subgraphs' events, as in production), else to an in-process bus. Prints
 * `{"dialect": ..., "urls": {...}}` once ready; stops on SIGTERM.
 */
import { createLogger, inProcessBus, loadSubgraphDefinition, RedisEventBus, startSubgraph, type RunningSubgraph } from '@azora/kit';
import { postgresReachable, scratchDatabase, TEST_POSTGRES_SERVER } from '@azora/testing';

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const dialect = (await postgresReachable()) ? 'postgresql' : 'sqlite';
  if (dialect === 'postgresql') process.env.AZORA_TEST_POSTGRES = TEST_POSTGRES_SERVER;
  const bus = process.env.BENCH_REDIS_URL
    ? new RedisEventBus(process.env.BENCH_REDIS_URL, undefined, { stream: process.env.BENCH_EVENT_STREAM })
    : inProcessBus();
  const databases = names.map((name) => scratchDatabase(dialect, name));
  const running: RunningSubgraph[] = [];
  for (const [i, name] of names.entries()) {
    running.push(
      await startSubgraph(loadSubgraphDefinition(name), {
        port: 0,
        nodeEnv: 'production',
        target: databases[i]!.target,
        logger: createLogger(name, 'warn'),
        routerPublicKey: process.env.AZORA_ROUTER_PUBLIC_KEY!,
        env: process.env,
        bus,
      }),
    );
  }
  console.log(JSON.stringify({ dialect, urls: Object.fromEntries(running.map((s) => [s.name, s.url])) }));
  process.once('SIGTERM', async () => {
    await Promise.all(running.map((s) => s.stop()));
    await bus.close();
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
