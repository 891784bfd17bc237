import { allow } from 'graphql-shield';
import { authorizeOperation } from '../auth/authorize';
import type { Policy } from '../auth/policy';
import type { Stage } from './types';

export interface PolicyOptions {
  /** The permission policy in force now (a policy file may be reloaded). */
  policy(): Policy;
}

/**
 * The policy with one `Query` lookup field allowed, per policy and field: made once, so the decisions
 * authorizeOperation remembers per policy are kept across deliveries.
 */
const withLookupAllowed = (() => {
  const derived = new WeakMap<Policy, Map<string, Policy>>();
  return (policy: Policy, queryType: string, lookupField: string): Policy => {
    let byField = derived.get(policy);
    if (!byField) derived.set(policy, (byField = new Map()));
    const key = `${queryType}.${lookupField}`;
    let allowed = byField.get(key);
    if (!allowed) {
      byField.set(key, (allowed = { ...policy, [queryType]: { ...policy[queryType], [lookupField]: allow } }));
    }
    return allowed;
  };
})();

/**
 * The permission policy over every field the operation selects, before the gateway plans or sends anything:
 * UNAUTHENTICATED for an anonymous caller, else FORBIDDEN naming the field. The read that delivers a subscription
 * event is judged by the subscription field's rule instead of its `Query` lookup's (context.ts SubscriptionEventRead).
 */
export function usePolicy({ policy }: PolicyOptions): Stage {
  return async (operation, context) => {
    const current = policy();
    const event = context.subscriptionEvent;
    if (event) {
      const refused = await authorizeOperation({
        schema: operation.schema,
        document: event.field.document,
        variables: event.field.variables,
        policy: current,
        identity: context.identity,
      });
      if (refused) return [refused];
    }
    const denied = await authorizeOperation({
      schema: operation.schema,
      document: operation.document!,
      operationName: operation.operationName,
      variables: operation.variables,
      policy: event ? withLookupAllowed(current, operation.schema.getQueryType()!.name, event.lookupField) : current,
      identity: context.identity,
    });
    if (denied) return [denied];
  };
}
