import {
  getVariableValues,
  GraphQLError,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { allow, deny } from 'graphql-shield';
import type { Identity } from '@azora/kit';
import { ANY, type Policy } from './policy';
import { forbidden, isIdentityOnly, unauthenticated, type ShieldRule } from './rules';

const SHIELD_OPTIONS: Parameters<ShieldRule['resolve']>[4] = {
  debug: false,
  allowExternalErrors: false,
  fallbackRule: deny,
  hashFunction: ({ args }: { args: unknown }) => JSON.stringify(args),
};

/**
 * The rule for one field: its own entry, else its type's `"*"`, else (permissive policy only) `"*"."*"`, else deny.
 * Introspection and `__typename` are governed elsewhere.
 */
export function ruleFor(policy: Policy, typeName: string, fieldName: string): ShieldRule {
  // Introspection types (__Schema, __Type, ...) included: whether introspection runs at all is Apollo's setting.
  if (fieldName.startsWith('__') || typeName.startsWith('__')) return allow;
  // Own properties only: a field named `constructor` or `toString` must not find Object.prototype's.
  const own = <T>(record: Record<string, T> | undefined, key: string) =>
    record && Object.hasOwn(record, key) ? record[key] : undefined;
  const rules = own(policy, typeName);
  return own(rules, fieldName) ?? own(rules, ANY) ?? own(own(policy, ANY), ANY) ?? deny;
}

/** graphql-shield's per-request cache lives in the context; `contextual` rules need it. */
const shieldContext = (identity: Identity) => ({ identity, _shield: { cache: {} } });

/** Whether a rule lets this identity use a field, ignoring arguments (for documentation and tests). */
export async function allows(
  rule: ShieldRule,
  identity: Identity,
  schema: GraphQLSchema,
  typeName: string,
  fieldName: string,
) {
  const info = { fieldName, parentType: schema.getType(typeName), schema } as GraphQLResolveInfo;
  return (await rule.resolve(undefined as never, {}, shieldContext(identity), info, SHIELD_OPTIONS)) === true;
}

/** The operation that will run and every fragment it reaches, so nothing else in the document is judged. */
function reachable(document: DocumentNode, operationName?: string | null): DocumentNode | null {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) return null;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(operation);
  return { kind: Kind.DOCUMENT, definitions: [operation, ...used.values()] };
}

/**
 * Operations found allowed, per policy, schema and document (Apollo Server hands out one DocumentNode per query text
 * and schema), as the caller keys (operation name, kind, roles, scopes) they were allowed to. Only decisions that no
 * argument and no user id could change are kept (every rule `isIdentityOnly`); denials are always evaluated afresh.
 */
const allowed = new WeakMap<Policy, WeakMap<GraphQLSchema, WeakMap<DocumentNode, Set<string>>>>();
const MAX_CALLERS_PER_DOCUMENT = 64;

function allowedCallers(policy: Policy, schema: GraphQLSchema, document: DocumentNode): Set<string> {
  let bySchema = allowed.get(policy);
  if (!bySchema) allowed.set(policy, (bySchema = new WeakMap()));
  let byDocument = bySchema.get(schema);
  if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
  let callers = byDocument.get(document);
  if (!callers) byDocument.set(document, (callers = new Set()));
  return callers;
}

/**
 * Evaluates the policy for every field the operation selects (fragments and inline fragments included), before
 * anything runs. Returns the first denial as a GraphQLError (UNAUTHENTICATED for an anonymous caller, else FORBIDDEN)
 * or null when everything is allowed. The same function guards HTTP and WebSocket operations.
 */
export async function authorizeOperation(input: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  policy: Policy;
  identity: Identity;
}): Promise<GraphQLError | null> {
  const { identity } = input;
  // JSON, not a joined string: a role named "admin,x" (another issuer's) must not read as the roles admin and x.
  const caller = JSON.stringify([input.operationName ?? null, identity.kind, identity.roles, identity.scopes]);
  const callers = allowedCallers(input.policy, input.schema, input.document);
  if (callers.has(caller)) return null;
  const denied = await evaluate(input);
  // Every rule judged the caller's kind, roles and scopes only: the same document is allowed to them next time.
  if (denied === undefined && callers.size < MAX_CALLERS_PER_DOCUMENT) callers.add(caller);
  return denied ?? null;
}

/** The first denial; `undefined` when allowed by identity-only rules; null when allowed but not to be remembered. */
async function evaluate(input: Parameters<typeof authorizeOperation>[0]): Promise<GraphQLError | null | undefined> {
  const selected = reachable(input.document, input.operationName);
  if (!selected) return null; // Apollo reports the missing operation itself.
  const operation = selected.definitions[0] as OperationDefinitionNode;
  const coerced = getVariableValues(input.schema, operation.variableDefinitions ?? [], input.variables ?? {});
  if (coerced.errors) return null; // Execution reports bad variables as BAD_USER_INPUT.

  const checks: { coordinate: string; rule: ShieldRule; args: Record<string, unknown>; info: GraphQLResolveInfo }[] =
    [];
  const typeInfo = new TypeInfo(input.schema);
  visit(
    selected,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field) return;
        checks.push({
          coordinate: `${parent.name}.${field.name}`,
          rule: ruleFor(input.policy, parent.name, field.name),
          args: getArgumentValues(field, node, coerced.coerced),
          // Rules at the router see no parent object; they judge the caller, the field and its arguments.
          info: {
            fieldName: field.name,
            parentType: parent,
            returnType: field.type,
            schema: input.schema,
          } as GraphQLResolveInfo,
        });
      },
    }),
  );

  const context = shieldContext(input.identity);
  let rememberable = true;
  for (const check of checks) {
    rememberable &&= isIdentityOnly(check.rule);
    const result = await check.rule.resolve(undefined as never, check.args, context, check.info, SHIELD_OPTIONS);
    if (result === true) continue;
    if (result instanceof GraphQLError && typeof result.extensions?.code === 'string') {
      return new GraphQLError(`${result.message} (${check.coordinate})`, { extensions: result.extensions });
    }
    return input.identity.kind === 'anonymous' ? unauthenticated() : forbidden(check.coordinate);
  }
  return rememberable ? undefined : null;
}
