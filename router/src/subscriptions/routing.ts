import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLSchema,
} from 'graphql';

export interface SubscriptionRoute {
  /** The subgraph that owns the subscription field and emits its events. */
  subgraph: string;
  /** A `Query` field that returns the payload type by its `id`: each event's full selection is read through it. */
  lookupField: string;
}

/**
 * Where each subscription field lives, derived from the composed supergraph (`@join__field(graph:)`, or the only
 * `@join__type` of `Subscription`) rather than a hand-kept list, and how its payload is looked up afterwards: the
 * `Query` field that takes exactly one `id: ID!` and returns the payload's type. A subgraph that adds a subscription
 * and such a lookup needs no router change.
 */
export function subscriptionRoutes(supergraphSdl: string, apiSchema: GraphQLSchema): Map<string, SubscriptionRoute> {
  const supergraph = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
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
  const graphOf = (
    directives:
      | readonly {
          name: { value: string };
          arguments?: readonly { name: { value: string }; value: { kind: string } }[];
        }[]
      | undefined,
    directive: string,
  ) =>
    (directives ?? [])
      .filter((d) => d.name.value === directive)
      .map((d) => d.arguments?.find((a) => a.name.value === 'graph')?.value)
      .flatMap((v) =>
        v && v.kind === 'EnumValue' ? [graphNames.get((v as unknown as { value: string }).value)!] : [],
      );

  const routes = new Map<string, SubscriptionRoute>();
  const subscription = supergraph.getSubscriptionType();
  const query = apiSchema.getQueryType();
  if (!subscription || !query) return routes;
  const typeGraphs = graphOf(subscription.astNode?.directives as never, 'join__type');
  for (const field of Object.values(subscription.getFields())) {
    const owners = graphOf(field.astNode?.directives as never, 'join__field');
    const subgraph = owners[0] ?? (typeGraphs.length === 1 ? typeGraphs[0] : undefined);
    if (!subgraph) continue;
    const payload = getNamedType(field.type).name;
    const lookup = Object.values(query.getFields()).find(
      (candidate) =>
        getNamedType(candidate.type).name === payload &&
        isObjectType(getNullableType(candidate.type)) &&
        candidate.args.length === 1 &&
        candidate.args[0]!.name === 'id' &&
        isNonNullType(candidate.args[0]!.type) &&
        getNamedType(candidate.args[0]!.type).name === 'ID',
    );
    if (lookup) routes.set(field.name, { subgraph, lookupField: lookup.name });
  }
  return routes;
}
