/**
 * The subgraphs of `npm run bench`, with seeded data, in one process of their own (the routers and the load generator
 * run in others). They trust the router key in AZORA_ROUTER_PUBLIC_KEY, and Aegis creates the admin in
 * AZORA_ADMIN_EMAIL / AZORA_ADMIN_PASSWORD. Prints `{"urls": {...}, "userId": "...", "userIds": [...], ...}` (the
 * first seeded user, and all of them) on stdout once ready; stops on SIGTERM.
 */
import { print } from 'graphql';
import { composeSupergraph } from '@azora/router';
import { allSubgraphs, seedUsers } from '@azora/testing';
import { startScratchSubgraphs } from './scratch-subgraphs';

async function main(): Promise<void> {
  const definitions = allSubgraphs();
  const { dialect, subgraphs } = await startScratchSubgraphs(definitions);
  const userIds = await seedUsers({ subgraphs }, 50, 'bench');
  const userId = userIds[0]!;
  const supergraphSdl = composeSupergraph(
    definitions.map((d) => ({ name: d.name, url: subgraphs[d.name]!.url, typeDefs: print(d.typeDefs) })),
  ).supergraphSdl;
  console.log(
    JSON.stringify({
      dialect,
      userId,
      userIds,
      supergraphSdl,
      urls: Object.fromEntries(Object.entries(subgraphs).map(([n, s]) => [n, s.url])),
    }),
  );
}

void main();
