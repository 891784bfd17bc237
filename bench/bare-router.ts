/**
 * The baseline of `npm run bench`: @apollo/gateway with @apollo/server's standalone server and nothing else — no
 * limits, no rate limiting, no metrics, no custom fetcher. Prints its URL on stdout once listening.
 *
 * The one addition is what any router needs to be heard at all: Azora's subgraphs refuse requests without an identity
 * assertion signed by the router's key, so every request carries one, signed once per request, for the identity given
 * in BENCH_IDENTITY (JSON) with the key in AZORA_ROUTER_PRIVATE_KEY. And the gateway is given the supergraph with the
 * `for: SECURITY` of its access links dropped, as the router does (forGateway), since bare @apollo/gateway refuses them;
 * the baseline does not enforce the directives.
 * Usage: tsx bench/bare-router.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { IDENTITY_HEADER, privateKeyFromPem, signIdentityAssertion, type Identity } from '@azora/kit';
import { forGateway } from '../router/src/auth/supergraph-policy';

async function main(): Promise<void> {
  const [file, port] = process.argv.slice(2);
  const key = privateKeyFromPem(process.env.AZORA_ROUTER_PRIVATE_KEY!);
  const identity = JSON.parse(process.env.BENCH_IDENTITY!) as Identity;
  const assertions = new WeakMap<object, Promise<string>>();
  const gateway = new ApolloGateway({
    supergraphSdl: forGateway(readFileSync(file!, 'utf8')),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        async willSendRequest({ request, context }) {
          if (!assertions.has(context)) assertions.set(context, signIdentityAssertion(identity, key));
          request.http?.headers.set(IDENTITY_HEADER, await assertions.get(context)!);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
  console.log(url);
}

void main();
