import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The closed list of platform-wide error codes a client can see. A subgraph adds its own domain codes with
 * `errorCodes(...)` in its definition. Anything else is an unexpected error: it is logged with the request id and
 * masked as INTERNAL_SERVER_ERROR.
 */
export const ErrorCode = {
  // Apollo Server's own request-level codes.
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  // Ours.
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The operation is too deep, too costly, too large or otherwise over a router limit. */
  OPERATION_LIMIT_EXCEEDED: 'OPERATION_LIMIT_EXCEEDED',
  /** The document is not in the trusted-documents manifest and the router only runs trusted documents. */
  DOCUMENT_NOT_TRUSTED: 'DOCUMENT_NOT_TRUSTED',
  /** The request body is larger than the router accepts (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The request body is not JSON (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  DOWNSTREAM_UNAVAILABLE: 'DOWNSTREAM_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** A domain code a subgraph declared (`errorCodes(...)`); only the factories it returns make one. */
export type DeclaredErrorCode = string & { readonly declared: unique symbol };

/** A code a `DomainError` may carry: a platform code, or one its subgraph declared. */
export type DomainErrorCode = Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'> | DeclaredErrorCode;

/** An expected business outcome, reported to the client with a platform code or one its subgraph declared. */
export class DomainError extends GraphQLError {
  constructor(code: DomainErrorCode, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...details } });
    this.name = 'DomainError';
  }
}

const DECLARED_CODE = /^[A-Z][A-Z0-9_]{2,59}$/;

/** One factory per declared code: `mintErrors.INSUFFICIENT_FUNDS('Not enough money')`. */
export type ErrorCodes<C extends string = string> = {
  readonly [K in C]: (message: string, details?: Record<string, unknown>) => DomainError;
};

/**
 * A subgraph's own domain error codes (e.g. Mint's `INSUFFICIENT_FUNDS`), given to `defineSubgraph` as `errorCodes`
 * so its errors pass the subgraph's masking, and thrown through the factories this returns. Platform codes
 * (NOT_FOUND, CONFLICT, …) are not redeclared: use `notFound`, `conflict`, `badInput` and `forbidden`.
 */
export function errorCodes<const C extends string>(...codes: C[]): ErrorCodes<C> {
  const factories: Record<string, (message: string, details?: Record<string, unknown>) => DomainError> = {};
  for (const code of codes) {
    if (!DECLARED_CODE.test(code)) throw new Error(`Error code ${code} is not UPPER_SNAKE_CASE`);
    if (knownCodes.has(code)) throw new Error(`Error code ${code} is a platform code: use the kit's`);
    factories[code] = (message, details) => new DomainError(code as string as DeclaredErrorCode, message, details);
  }
  return factories as ErrorCodes<C>;
}

export const notFound = (what: string, id: string) =>
  new DomainError('NOT_FOUND', `${what} ${id} was not found`, { id });
export const badInput = (message: string, field?: string) =>
  new DomainError('BAD_USER_INPUT', message, field ? { field } : undefined);
export const conflict = (message: string) => new DomainError('CONFLICT', message);

/**
 * True when the error is expected and safe to show as-is: a platform code, or a domain code its subgraph declared
 * (the subgraph's masking marks those with `declaredBy`, so the router passes them without knowing every domain).
 */
export function isExpectedError(formatted: GraphQLFormattedError): boolean {
  const code = formatted.extensions?.code;
  if (typeof code !== 'string' || code === ErrorCode.INTERNAL_SERVER_ERROR) return false;
  return knownCodes.has(code) || (typeof formatted.extensions?.declaredBy === 'string' && DECLARED_CODE.test(code));
}

/**
 * Apollo `formatError`: expected errors pass with their code (stack traces never leave the process); everything else
 * becomes a generic INTERNAL_SERVER_ERROR. The original is logged by the request logger plugin.
 */
export function maskError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (isExpectedError(formatted)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return masked(formatted);
}

/**
 * A subgraph's `formatError`: like `maskError`, and its own declared codes pass too, marked `declaredBy` with the
 * subgraph's name. A `declaredBy` the subgraph did not set itself is not trusted.
 */
export function subgraphErrorMask(subgraph: string, declared: ErrorCodes) {
  const own = new Set(Object.keys(declared));
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const { declaredBy: _claimed, ...extensions } = formatted.extensions ?? {};
    const code = extensions.code;
    if (typeof code === 'string' && own.has(code)) {
      const { stacktrace: _stacktrace, ...shown } = extensions;
      return { ...formatted, extensions: { ...shown, declaredBy: subgraph } };
    }
    return maskError({ ...formatted, extensions });
  };
}

function masked(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
