import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse, print, buildASTSchema, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { accessDirectiveProblems, rootFieldsWithoutAccess } from './auth/supergraph-policy';
import { subscriptionContract } from './subscriptions/routing';
import type { SubgraphEntry } from './supergraph-config';

export interface Composed {
  supergraphSdl: string;
  /** The client-facing schema (federation internals removed): what Sandbox shows and codegen reads. */
  apiSchemaSdl: string;
  apiSchema: GraphQLSchema;
  hints: { code: string; message: string }[];
}

export class CompositionError extends Error {
  constructor(readonly errors: string[]) {
    super(`Composition failed:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Composes subgraph SDLs in-process with @apollo/composition, the same library rover runs, then checks the router's
 * subscription contract (subscriptions/routing.ts) and, with `requireAccess`, that every root field declares its
 * access (rootFieldsWithoutAccess). Every problem of both checks is listed in one CompositionError.
 */
export function composeSupergraph(
  subgraphs: { name: string; url: string; typeDefs: string }[],
  { requireAccess = false }: { requireAccess?: boolean } = {},
): Composed {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  const apiSchema = lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  const problems = [
    ...(requireAccess ? accessProblems(result.supergraphSdl) : []),
    // A subscription field the router could not resolve fails composition, as it would fail the router's start-up.
    ...subscriptionContract(result.supergraphSdl, apiSchema).violations,
  ];
  if (problems.length) throw new CompositionError(problems);
  return {
    supergraphSdl: result.supergraphSdl,
    apiSchemaSdl: `${printSchema(apiSchema)}\n`,
    apiSchema,
    hints: result.hints.map((h) => ({ code: h.definition.code, message: h.message })),
  };
}

/** How a root field declares who may call it; one of these is required on each (README, "Identity and permissions"). */
const ACCESS_DIRECTIVES = '@authenticated, @requiresScopes or @policy (anyone: @policy(policies: [["public"]]))';

/**
 * Deny by default at the root: throws a CompositionError naming each Query, Mutation and Subscription field that
 * declares no access in its subgraph's SDL. The router would deny such a field; composition says so first.
 */
export function requireRootAccess(supergraphSdl: string): void {
  const problems = accessProblems(supergraphSdl);
  if (problems.length > 0) throw new CompositionError(problems);
}

/** Root fields without an access directive, and directives the router could not enforce (it would refuse to start). */
const accessProblems = (supergraphSdl: string): string[] => [
  ...rootFieldsWithoutAccess(supergraphSdl).map(
    (field) => `${field} has no access directive: add ${ACCESS_DIRECTIVES}`,
  ),
  ...accessDirectiveProblems(supergraphSdl),
];

/**
 * Composes the subgraphs a `supergraph.yaml` lists, reading each schema file (`npm run compose`, and the router in
 * development). Every root field must declare its access (requireRootAccess).
 */
export function composeFromConfig(entries: SubgraphEntry[]): Composed {
  return composeSupergraph(
    entries.map((e) => ({ name: e.name, url: e.url, typeDefs: readFileSync(e.schemaFile, 'utf8') })),
    { requireAccess: true },
  );
}

/** The subgraphs (name and routing URL) recorded in a composed supergraph SDL, from its `join__Graph` enum. */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string }[] {
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const joinGraph = schema.getType('join__Graph');
  if (!joinGraph || !('getValues' in joinGraph)) throw new Error('not a supergraph: no join__Graph enum');
  return joinGraph.getValues().map((value) => {
    const directive = value.astNode?.directives?.find((d) => d.name.value === 'join__graph');
    const arg = (name: string) => {
      const node = directive?.arguments?.find((a) => a.name.value === name)?.value;
      return node && node.kind === 'StringValue' ? node.value : undefined;
    };
    const name = arg('name');
    const url = arg('url');
    if (!name || !url) throw new Error(`join__Graph.${value.name} has no name or url (${print(directive!)})`);
    return { name, url };
  });
}
