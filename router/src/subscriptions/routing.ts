import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isNonNullType,
  isObjectType,
  parse,
  type ConstDirectiveNode,
  type GraphQLSchema,
} from 'graphql';

export interface SubscriptionRoute {
  /** The subgraph that owns the subscription field and emits its events. */
  subgraph: string;
  /** A `Query` field that returns the payload type by its `id`: each event's full selection is read through it. */
  lookupField: string;
}

/**
 * The router resolves a subscription field in two steps: it subscribes to the subgraph that owns the field, asking
 * only for each payload's `id`, then reads the client's selection through a `Query` field that takes exactly one
 * `id: ID!` and returns the payload's type. A field that misses either step cannot be served, so the supergraph is
 * refused rather than the field left out: `SubscriptionContractError` names each such field and what it lacks.
 */
export class SubscriptionContractError extends Error {
  constructor(readonly violations: string[]) {
    super(`Subscription fields the router cannot resolve:\n${violations.map((v) => `  - ${v}`).join('\n')}`);
    this.name = 'SubscriptionContractError';
  }
}

export interface SubscriptionContract {
  routes: Map<string, SubscriptionRoute>;
  /** One line per `Subscription` field that has no way to be resolved, naming the field and what it lacks. */
  violations: string[];
}

/** The name each `join__Graph` value stands for (`MINT` -> `mint`). */
function graphNamesOf(supergraph: GraphQLSchema): Map<string, string> {
  const graphNames = new Map<string, string>();
  const joinGraph = supergraph.getType('join__Graph');
  if (joinGraph && 'getValues' in joinGraph) {
    for (const value of joinGraph.getValues()) {
      const name = value.astNode?.directives
        ?.find((d) => d.name.value === 'join__graph')
        ?.arguments?.find((a) => a.name.value === 'name')?.value;
      if (name?.kind === 'StringValue') graphNames.set(value.name, name.value);
    }
  }
  return graphNames;
}

/**
 * How each subscription field is resolved, derived from the composed supergraph (`@join__field(graph:)`, or the only
 * `@join__type` of `Subscription`) rather than a hand-kept list, and every field that cannot be. A subgraph that adds
 * a subscription and its lookup needs no router change; one that forgets the lookup is told so.
 */
export function subscriptionContract(supergraphSdl: string, apiSchema: GraphQLSchema): SubscriptionContract {
  const supergraph = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const graphNames = graphNamesOf(supergraph);
  const graphsOf = (directives: readonly ConstDirectiveNode[] | undefined, directive: string) =>
    (directives ?? [])
      .filter((d) => d.name.value === directive)
      .map((d) => d.arguments?.find((a) => a.name.value === 'graph')?.value)
      .flatMap((v) => (v?.kind === 'EnumValue' && graphNames.has(v.value) ? [graphNames.get(v.value)!] : []));

  const routes = new Map<string, SubscriptionRoute>();
  const violations: string[] = [];
  const subscription = supergraph.getSubscriptionType();
  // Only the fields clients can select: an @inaccessible field is never subscribed to.
  const served = apiSchema.getSubscriptionType()?.getFields() ?? {};
  if (!subscription) return { routes, violations };
  const query = apiSchema.getQueryType();
  const typeGraphs = graphsOf(subscription.astNode?.directives, 'join__type');
  for (const field of Object.values(subscription.getFields())) {
    if (!Object.hasOwn(served, field.name)) continue;
    const coordinate = `Subscription.${field.name}`;
    const owners = graphsOf(field.astNode?.directives, 'join__field');
    const subgraph = owners[0] ?? (typeGraphs.length === 1 ? typeGraphs[0] : undefined);
    const payload = getNamedType(field.type).name;
    const lookups = Object.values(query?.getFields() ?? {}).filter(
      (candidate) =>
        getNamedType(candidate.type).name === payload &&
        isObjectType(getNullableType(candidate.type)) &&
        candidate.args.length === 1 &&
        candidate.args[0]!.name === 'id' &&
        isNonNullType(candidate.args[0]!.type) &&
        getNamedType(candidate.args[0]!.type).name === 'ID',
    );
    if (!subgraph) violations.push(`${coordinate}: no single subgraph owns it (@join__field or one @join__type)`);
    // Deliveries read through the lookup without its own rule (the subscription field's judges them), so the lookup
    // must be unambiguous: with two, a new admin-only one could silently become the read for every subscriber.
    const lookup = lookups.length === 1 ? lookups[0] : undefined;
    if (lookups.length === 0) violations.push(`${coordinate}: no Query field takes \`id: ID!\` and returns ${payload}`);
    if (lookups.length > 1) {
      const names = lookups.map((l) => `Query.${l.name}`).join(', ');
      violations.push(`${coordinate}: more than one Query field takes \`id: ID!\` and returns ${payload} (${names})`);
    }
    if (subgraph && lookup) routes.set(field.name, { subgraph, lookupField: lookup.name });
  }
  return { routes, violations };
}
