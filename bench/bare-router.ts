/**
 * The baseline of `npm run bench`: @apollo/gateway with @apollo/server's standalone server and nothing else — no
 * limits, no rate limiting, no metrics, no custom fetcher. Prints its URL on stdout once listening.
 * Usage: tsx bench/bare-router.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

async function main(): Promise<void> {
  const [file, port] = process.argv.slice(2);
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: readFileSync(file!, 'utf8') }) });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
  console.log(url);
}

void main();
