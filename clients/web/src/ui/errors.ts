import { AzoraError } from '@azora/sdk';
import { CombinedError } from '@urql/core';

export interface ErrorDetails {
  code: string | undefined;
  message: string;
  /** The input the server blamed, e.g. `amount`. */
  field: string | undefined;
}

/** Code, message and field of whatever failed: an SDK error, or a urql result's error. */
export function errorDetails(error: unknown): ErrorDetails {
  if (error instanceof AzoraError) return { code: error.code, message: error.message, field: error.field };
  if (error instanceof CombinedError) {
    const first = error.graphQLErrors[0];
    if (first) {
      const { code, field } = first.extensions ?? {};
      return { code: typeof code === 'string' ? code : undefined, message: first.message, field: typeof field === 'string' ? field : undefined };
    }
    return errorDetails(error.networkError);
  }
  return { code: undefined, message: error instanceof Error ? error.message : String(error), field: undefined };
}

/** What a screen says for a code where the general sentence does not fit (sign-in: UNAUTHENTICATED is a wrong password). */
export type ErrorMessages = Partial<Record<string, string | ((details: ErrorDetails) => string)>>;

/** Sentences a person can act on, by error code; a server message is shown where it is already one (validation). */
export function readableError(error: unknown, messages: ErrorMessages = {}): string {
  const details = errorDetails(error);
  const { code, message } = details;
  const special = code !== undefined ? messages[code] : undefined;
  if (special !== undefined) return typeof special === 'function' ? special(details) : special;
  switch (code) {
    case 'BAD_USER_INPUT':
    case 'CONFLICT':
    case 'IDEMPOTENCY_CONFLICT':
      return message;
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return `${message}.`;
    case 'RATE_LIMITED':
      return 'Too many requests. Wait a moment, then try again.';
    case 'NETWORK_ERROR':
    case 'BAD_RESPONSE':
    case 'DOWNSTREAM_UNAVAILABLE':
      return 'Azora cannot be reached right now. Check your connection and try again.';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}
