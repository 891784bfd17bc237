import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { ruleFor } from './authorize';
import type { Policy } from './policy';
import { allOf } from './rules';

/** A policy that may change while the router runs: what it is now, told when the served schema changes. */
export interface LivePolicy {
  current(): Policy;
  /** The gateway loaded a new supergraph (its API schema and SDL); called before any request runs on it. */
  schemaChanged(apiSchema: GraphQLSchema, supergraphSdl: string): void;
  close(): void;
}

/** A policy that never changes, as a live one: the router asks every policy the same way for the one in force. */
export const fixedPolicy = (policy: Policy): LivePolicy => ({
  current: () => policy,
  schemaChanged: () => undefined,
  close: () => undefined,
});

/** Every field of the schema under both policies: each must allow it. */
function intersection(schema: GraphQLSchema, first: Policy, second: Policy): Policy {
  const policy: Policy = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (!isObjectType(type) && !isInterfaceType(type))) continue;
    policy[type.name] = Object.fromEntries(
      Object.keys(type.getFields()).map((field) => [
        field,
        allOf([ruleFor(first, type.name, field), ruleFor(second, type.name, field)]),
      ]),
    );
  }
  return policy;
}

/**
 * Two policies that must both allow a field, each kept current on its own: a supergraph's own access directives and a
 * policy file. The combined policy is rebuilt only when either changes, so the decisions remembered per policy
 * (authorize.ts) survive between changes. Nothing is allowed before the first schema.
 */
export function bothPolicies(first: LivePolicy, second: LivePolicy): LivePolicy {
  let schema: GraphQLSchema | undefined;
  let combined: { first: Policy; second: Policy; policy: Policy } | undefined;
  return {
    current() {
      if (!schema) return {};
      const [a, b] = [first.current(), second.current()];
      if (combined?.first !== a || combined.second !== b)
        combined = { first: a, second: b, policy: intersection(schema, a, b) };
      return combined.policy;
    },
    schemaChanged(apiSchema, supergraphSdl) {
      schema = apiSchema;
      combined = undefined;
      first.schemaChanged(apiSchema, supergraphSdl);
      second.schemaChanged(apiSchema, supergraphSdl);
    },
    close() {
      first.close();
      second.close();
    },
  };
}
