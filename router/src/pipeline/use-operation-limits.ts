import type { OperationGuard } from '../limits/operation-limits';
import type { Stage } from './types';

export interface OperationLimitsOptions {
  guard: Pick<OperationGuard, 'checkOperation'>;
}

/**
 * Page sizes and static cost with the operation's variables (OperationLimitError, or BAD_USER_INPUT for variables
 * that do not coerce). Like validation it judges the document, not the caller, so it runs before the policy; the
 * cost it finds is what the rate limit charges.
 */
export function useOperationLimits({ guard }: OperationLimitsOptions): Stage {
  return (operation) => {
    operation.cost = guard.checkOperation({
      schema: operation.schema,
      document: operation.document!,
      operationName: operation.operationName,
      variables: operation.variables ?? undefined,
    });
  };
}
