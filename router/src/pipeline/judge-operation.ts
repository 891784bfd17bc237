import { GraphQLError } from 'graphql';
import type { RouterContext } from '../context';
import { useOperationLimits, type OperationLimitsOptions } from './use-operation-limits';
import { useParseAndValidate, type ParseAndValidateOptions } from './use-parse-and-validate';
import { usePolicy, type PolicyOptions } from './use-policy';
import { useRateLimit, type RateLimitOptions } from './use-rate-limit';
import type { OperationRequest, OperationState, Stage, Transport, Verdict } from './types';

export interface JudgeOperationOptions {
  /** The document limits: source size and tokens, validation rules, page sizes and cost. */
  guard: ParseAndValidateOptions['guard'] & OperationLimitsOptions['guard'];
  policy: PolicyOptions['policy'];
  rateLimit: RateLimitOptions;
}

export type JudgeOperation = (
  request: OperationRequest,
  context: RouterContext,
  transport: Transport,
) => Promise<Verdict>;

/**
 * The one order every operation is judged in, over HTTP (Apollo Server's plugin, once it has parsed and validated) and
 * over graphql-ws (`onSubscribe`, from the text): guards, parse and validation (limit rules included), page sizes and
 * cost, the permission policy, the rate limit. The first stage that refuses decides; later ones do not run, so a
 * refused operation is not charged. The same refusal has the same code and message over both transports.
 */
export function judgeOperation(options: JudgeOperationOptions): JudgeOperation {
  const stages: Stage[] = [
    useParseAndValidate({ guard: options.guard }),
    useOperationLimits({ guard: options.guard }),
    usePolicy({ policy: options.policy }),
    useRateLimit(options.rateLimit),
  ];
  return async (request, context, transport) => {
    const operation: OperationState = { ...request, cost: 0, headers: [] };
    for (const stage of stages) {
      let errors: readonly GraphQLError[] | void;
      try {
        errors = await stage(operation, context, transport);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        errors = [error];
      }
      if (errors?.length) return { errors, headers: operation.headers };
    }
    return { document: operation.document!, headers: operation.headers };
  };
}
