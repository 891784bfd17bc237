/**
 * The subgraphs of `npm run bench`, with seeded data, in one process of their own (the routers and the load generator
 * run in others). They trust the router key in AZORA_ROUTER_PUBLIC_KEY, and Aegis creates the admin in
 * AZORA_ADMIN_EMAIL / AZORA_ADMIN_PASSWORD. Prints `{"urls": {...}, "userId": "...", "userIds": [...], ...}` (the
 * first seeded user, and all of them) on stdout once ready; stops on SIGTERM.
 */
import { print } from 'graphql';
import { createLogger, startSubgraph, type RunningSubgraph } from '@azora/kit';
import { composeSupergraph } from '@azora/router';
import { allSubgraphs, postgresReachable, scratchDatabase, seedUsers, TEST_POSTGRES_SERVER } from '@azora/testing';

async function main(): Promise<void> {
  // PostgreSQL when it is reachable, as in production; the embedded SQLite otherwise.
  const dialect = (await postgresReachable()) ? 'postgresql' : 'sqlite';
  if (dialect === 'postgresql') process.env.AZORA_TEST_POSTGRES = TEST_POSTGRES_SERVER;
  const definitions = allSubgraphs();
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
    });
  }
  const userIds = await seedUsers({ subgraphs }, 50, 'bench');
  const userId = userIds[0]!;
  const supergraphSdl = composeSupergraph(
    definitions.map((d) => ({ name: d.name, url: subgraphs[d.name]!.url, typeDefs: print(d.typeDefs) })),
  ).supergraphSdl;
  console.log(JSON.stringify({ dialect, userId, userIds, supergraphSdl, urls: Object.fromEntries(Object.entries(subgraphs).map(([n, s]) => [n, s.url])) }));
  process.once('SIGTERM', async () => {
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    process.exit(0);
  });
}

void main();
