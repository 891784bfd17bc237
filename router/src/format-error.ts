import type { GraphQLFormattedError } from 'graphql';
import { DomainError, maskError } from '@azora/kit';

/** Extension keys that carry internals (stack traces, a subgraph's raw HTTP response) rather than meaning. */
const INTERNAL_EXTENSIONS = ['stacktrace', 'exception', 'response'];

/**
 * The router's Apollo `formatError`. Apollo Server reports validation-rule errors as GRAPHQL_VALIDATION_FAILED; a
 * DomainError reported by one of our rules (depth, aliases, directives) keeps its own code. Then the kit's masking:
 * codes outside the closed list become INTERNAL_SERVER_ERROR. In production, subgraph errors that pass keep their
 * code, message and path, and lose every internal extension.
 */
export function routerFormatError(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = (error as { originalError?: unknown } | undefined)?.originalError;
    if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && original instanceof DomainError) {
      formatted = { ...formatted, extensions: { ...formatted.extensions, code: original.extensions.code } };
    }
    const masked = maskError(formatted);
    if (!production || !masked.extensions) return masked;
    const extensions = { ...masked.extensions };
    for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
    return { ...masked, extensions };
  };
}
