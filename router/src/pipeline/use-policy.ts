import { authorizeOperation } from '../auth/authorize';
import type { Policy } from '../auth/policy';
import type { Stage } from './types';

export interface PolicyOptions {
  /** The permission policy in force now (a policy file may be reloaded). */
  policy(): Policy;
}

/**
 * The permission policy over every field the operation selects, before the gateway plans or sends anything:
 * UNAUTHENTICATED for an anonymous caller, else FORBIDDEN naming the field.
 */
export function usePolicy({ policy }: PolicyOptions): Stage {
  return async (operation, context) => {
    const denied = await authorizeOperation({
      schema: operation.schema,
      document: operation.document!,
      operationName: operation.operationName,
      variables: operation.variables,
      policy: policy(),
      identity: context.identity,
    });
    if (denied) return [denied];
  };
}
