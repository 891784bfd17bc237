import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import type { LivePolicy } from '../../router/src/auth/live-policy';
import type { Policy } from '../../router/src/auth/policy';
import { allow } from '../../router/src/auth/rules';
import { SupergraphPolicy } from '../../router/src/auth/supergraph-policy';

export interface FixtureSubgraph {
  name: string;
  url: string;
  typeDefs: string;
  stop(): Promise<void>;
}

/**
 * A database-free subgraph for router tests that need behaviour no domain subgraph has on purpose: a mutation to
 * refuse over GET, errors that leak internals. Deliberately careless: it sends stack traces, as a badly configured
 * subgraph would, so the router's masking has something to mask.
 */
export async function startFixtureSubgraph(
  name: string,
  typeDefs: string,
  resolvers: GraphQLResolverMap<unknown>,
): Promise<FixtureSubgraph> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers }]),
    includeStacktraceInErrorResponses: true,
    csrfPrevention: false,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { name, url: url.replace('localhost', '127.0.0.1'), typeDefs, stop: () => server.stop() };
}

/**
 * The supergraph's own access directives plus `allow` for the given fields of a fixture subgraph, whose SDL declares
 * no access (its root fields would be denied).
 */
export function policyAllowing(fields: Record<string, string[]>): LivePolicy {
  const directives = new SupergraphPolicy();
  let extended: { base: Policy; policy: Policy } | undefined;
  return {
    current() {
      const base = directives.current();
      if (extended?.base !== base) {
        const policy: Policy = { ...base };
        for (const [type, names] of Object.entries(fields)) {
          policy[type] = { ...policy[type], ...Object.fromEntries(names.map((name) => [name, allow])) };
        }
        extended = { base, policy };
      }
      return extended.policy;
    },
    schemaChanged: (apiSchema, supergraphSdl) => directives.schemaChanged(apiSchema, supergraphSdl),
    close: () => directives.close(),
  };
}
