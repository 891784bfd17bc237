import type { GraphQLFormattedError } from 'graphql';

/**
 * Codes the SDK reports itself, beside the server's closed list (subgraphs/kit/src/errors.ts): the router could not
 * be reached, answered something that is not GraphQL, or closed the live connection for good.
 */
export const ClientErrorCode = {
  NETWORK_ERROR: 'NETWORK_ERROR',
  BAD_RESPONSE: 'BAD_RESPONSE',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
} as const;

/**
 * What an operation that did not fully succeed throws: every GraphQL error the router returned, the code of the first
 * (`INSUFFICIENT_FUNDS`, `BAD_USER_INPUT`, `UNAUTHENTICATED`, …) and any partial data it came with.
 */
export class AzoraError extends Error {
  readonly code: string;
  readonly errors: readonly GraphQLFormattedError[];
  /** The data that did arrive (federation can answer part of a query when one subgraph is down). */
  readonly data: unknown;
  /** The HTTP status, when the error came over HTTP. */
  readonly status: number | undefined;

  constructor(
    errors: readonly GraphQLFormattedError[],
    options: { data?: unknown; status?: number; cause?: unknown } = {},
  ) {
    super(errors[0]?.message ?? 'The request failed', { cause: options.cause });
    this.name = 'AzoraError';
    this.errors = errors;
    this.code = codeOf(errors[0]) ?? 'INTERNAL_SERVER_ERROR';
    this.data = options.data ?? null;
    this.status = options.status;
  }

  /** True when any of the errors has this code. */
  has(code: string): boolean {
    return this.errors.some((error) => codeOf(error) === code);
  }

  /** The input field the server blamed (`extensions.field` of a BAD_USER_INPUT), e.g. `amount`. */
  get field(): string | undefined {
    const field = this.errors.find((error) => typeof error.extensions?.field === 'string')?.extensions?.field;
    return typeof field === 'string' ? field : undefined;
  }

  /** One error made on the client's side (no GraphQL error list from the server). */
  static client(
    code: keyof typeof ClientErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ): AzoraError {
    return new AzoraError([{ message, extensions: { code } }], options);
  }
}

function codeOf(error: GraphQLFormattedError | undefined): string | undefined {
  const code = error?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}
