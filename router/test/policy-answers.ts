import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import type { Identity } from '@azora/kit';
import { allows, ruleFor } from '../src/auth/authorize';
import { ROLES } from '../src/auth/permission-table';
import type { Policy } from '../src/auth/policy';

/** Every kind of caller whose answer can differ: anonymous, and each role as a person, an API key and a client. */
const callers: { label: string; identity: Identity }[] = [
  { label: 'anonymous', identity: { kind: 'anonymous', userId: null, roles: [], scopes: [] } },
  { label: 'user', identity: { kind: 'user', userId: 'u', roles: [], scopes: [] } },
  { label: 'apiKey', identity: { kind: 'apiKey', userId: 'u', roles: [], scopes: [] } },
  { label: 'client', identity: { kind: 'client', userId: 'c', roles: [], scopes: [] } },
  ...ROLES.flatMap((role) =>
    (['user', 'apiKey', 'client'] as const).map((kind) => ({
      label: `${kind}:${role}`,
      identity: { kind, userId: kind === 'client' ? 'c' : 'u', roles: [role], scopes: [] },
    })),
  ),
];

/**
 * Who may select each field of the schema under a policy: `"everyone"`, or the labels of the callers allowed. The
 * answers of the hand-written rule tree were recorded (fixtures/permissions-rule-tree.json) before it was replaced by
 * the directives in the subgraphs' SDL, so a test can prove the two agree for every field and every caller.
 */
export async function policyAnswers(schema: GraphQLSchema, policy: Policy): Promise<Record<string, string | string[]>> {
  const answers: Record<string, string | string[]> = {};
  const types = Object.values(schema.getTypeMap())
    .filter((t) => (isObjectType(t) || isInterfaceType(t)) && !t.name.startsWith('__'))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const type of types) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.keys(type.getFields()).sort()) {
      const rule = ruleFor(policy, type.name, field);
      const allowed: string[] = [];
      for (const caller of callers)
        if (await allows(rule, caller.identity, schema, type.name, field)) allowed.push(caller.label);
      answers[`${type.name}.${field}`] = allowed.length === callers.length ? 'everyone' : allowed;
    }
  }
  return answers;
}
