/**
 * A process running the subgraphs named on the command line, for `npm run bench:subgraphs` (one process per subgraph,
 * so each one's CPU time is its own). Each gets a scratch database (PostgreSQL when reachable, SQLite otherwise) and
 * is started in production mode; they publish to the Redis stream in BENCH_EVENT_STREAM when BENCH_REDIS_URL is set
 * (Nexus logs the other subgraphs' events, as in production), else to an in-process bus. Prints
 * `{"dialect": ..., "urls": {...}}` once ready; stops on SIGTERM.
 */
import { inProcessBus, loadSubgraphDefinition, RedisEventBus } from '@azora/kit';
import { startScratchSubgraphs } from './scratch-subgraphs';

async function main(): Promise<void> {
  const bus = process.env.BENCH_REDIS_URL
    ? new RedisEventBus(process.env.BENCH_REDIS_URL, undefined, { stream: process.env.BENCH_EVENT_STREAM })
    : inProcessBus();
  const { dialect, subgraphs } = await startScratchSubgraphs(
    process.argv.slice(2).map((name) => loadSubgraphDefinition(name)),
    bus,
  );
  console.log(
    JSON.stringify({ dialect, urls: Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.url])) }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
