import {
  getOperationAST,
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

/** The variable the follow-up read takes the event's id in; a client cannot declare it (`__` names are reserved). */
export const EVENT_ID_VARIABLE_NAME = '__azoraId';

const ID_SELECTION = (parse('{ id }').definitions[0] as OperationDefinitionNode).selectionSet;
const TYPENAME_SELECTION = (parse('{ __typename }').definitions[0] as OperationDefinitionNode).selectionSet;
const EVENT_ID_VARIABLE = (
  parse(`query($${EVENT_ID_VARIABLE_NAME}: ID!) { __typename }`).definitions[0] as OperationDefinitionNode
).variableDefinitions![0]!;

/** The operations the router derives from a client's subscription: pure functions of the document and the route. */
export interface DerivedOperations {
  /** The subscription field the client selected (`accountActivity`). */
  field: string;
  /** Where its data goes in the client's result: the field's alias, or its name. */
  responseKey: string;
  /** To the owning subgraph: the field with the client's arguments, selecting only the `id` of each payload. */
  upstreamQuery: string;
  /**
   * The subscription field alone, with the client's arguments and variables and nothing below it (`__typename` is
   * never judged): what the subscription field's own rule is evaluated on for each delivery.
   */
  fieldQuery: DocumentNode;
  /**
   * Per event, through the gateway: the lookup by id (aliased to the client's response key) with the client's whole
   * selection and the fragments it uses; the id in `$__azoraId`.
   */
  followUpQuery: string;
}

/** Which variables a piece of a document uses, so a derived operation declares exactly those. */
export function usedVariables(
  nodes: readonly (SelectionSetNode | FieldNode | FragmentDefinitionNode)[],
  definitions: readonly VariableDefinitionNode[],
): VariableDefinitionNode[] {
  const used = new Set<string>();
  for (const node of nodes) visit(node, { Variable: (v) => void used.add(v.name.value) });
  return definitions.filter((d) => used.has(d.variable.name.value));
}

/** The subscription operation that will run and its one root field (validation guarantees exactly one). */
export function subscriptionRoot(
  document: DocumentNode,
  operationName?: string | null,
): { operation: OperationDefinitionNode; root: FieldNode } {
  const operation = getOperationAST(document, operationName);
  const root = operation?.selectionSet.selections[0];
  if (operation?.operation !== 'subscription' || root?.kind !== Kind.FIELD)
    throw new Error('not a subscription with one root field');
  return { operation, root };
}

/** The upstream subscription and the follow-up read of a client's subscription, read through `lookupField`. */
export function deriveOperations(
  document: DocumentNode,
  operationName: string | null | undefined,
  lookupField: string,
): DerivedOperations {
  const { operation, root } = subscriptionRoot(document, operationName);
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  const variableDefinitions = operation.variableDefinitions ?? [];
  const upstreamQuery = print({
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'subscription' as never,
        variableDefinitions: usedVariables([{ ...root, selectionSet: undefined } as FieldNode], variableDefinitions),
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [{ ...root, alias: undefined, directives: [], selectionSet: ID_SELECTION }],
        },
      },
    ],
  } as DocumentNode);
  const responseKey = root.alias?.value ?? root.name.value;
  // Only the fragments the selection reaches: an operation may not define fragments it does not use.
  const reached = reachableFragments(root.selectionSet!, fragments);
  const followUpQuery = print({
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as never,
        name: { kind: Kind.NAME, value: 'SubscriptionEvent' },
        variableDefinitions: [
          ...usedVariables([root.selectionSet!, ...reached], variableDefinitions),
          EVENT_ID_VARIABLE,
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              alias: { kind: Kind.NAME, value: responseKey },
              name: { kind: Kind.NAME, value: lookupField },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'id' },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_ID_VARIABLE_NAME } },
                },
              ],
              selectionSet: root.selectionSet,
            },
          ],
        },
      },
      ...reached,
    ],
  } as DocumentNode);
  const fieldQuery: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        ...operation,
        name: undefined,
        directives: [],
        variableDefinitions: usedVariables([{ ...root, selectionSet: undefined } as FieldNode], variableDefinitions),
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [{ ...root, directives: [], selectionSet: root.selectionSet && TYPENAME_SELECTION }],
        },
      },
    ],
  };
  return { field: root.name.value, responseKey, upstreamQuery, fieldQuery, followUpQuery };
}

/** The fragments a selection spreads, directly or through other fragments, in the document's order. */
function reachableFragments(
  selectionSet: SelectionSetNode,
  fragments: readonly FragmentDefinitionNode[],
): FragmentDefinitionNode[] {
  const byName = new Map(fragments.map((f) => [f.name.value, f]));
  const reached = new Set<string>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = byName.get(spread.name.value);
        if (!fragment || reached.has(fragment.name.value)) return;
        reached.add(fragment.name.value);
        walk(fragment);
      },
    });
  walk(selectionSet);
  return fragments.filter((f) => reached.has(f.name.value));
}
