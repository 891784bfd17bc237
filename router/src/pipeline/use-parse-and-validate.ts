import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { ErrorCode } from '@azora/kit';
import type { OperationGuard } from '../limits/operation-limits';
import type { Stage } from './types';

export interface ParseAndValidateOptions {
  /** The router's document limits: size and tokens before parsing, then its validation rules. */
  guard: Pick<OperationGuard, 'checkSource' | 'validationRules'>;
}

/**
 * For text nobody has parsed yet: the size and token limits (before the parser sees it), parsing, then graphql's
 * rules and the guard's. Apollo Server does the same over HTTP (with the HTTP guards and its `validationRules`), so an
 * operation that arrives parsed skips this stage.
 */
export function useParseAndValidate({ guard }: ParseAndValidateOptions): Stage {
  return (operation) => {
    if (operation.document || operation.source === undefined) return;
    try {
      guard.checkSource(operation.source);
      operation.document = parse(operation.source);
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code) return [error];
      return [new GraphQLError((error as Error).message, { extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED } })];
    }
    const invalid = validate(operation.schema, operation.document, [...specifiedRules, ...guard.validationRules]);
    // Errors our limit rules report carry their own code (OPERATION_LIMIT_EXCEEDED); the rest are plain validation.
    if (invalid.length)
      return invalid.map(
        (e) =>
          new GraphQLError(e.message, {
            nodes: e.nodes,
            extensions: {
              code: (e.extensions.code as string | undefined) ?? ErrorCode.GRAPHQL_VALIDATION_FAILED,
              ...(e.extensions.limit ? { limit: e.extensions.limit } : {}),
            },
          }),
      );
  };
}
