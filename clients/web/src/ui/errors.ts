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
      return {
        code: typeof code === 'string' ? code : undefined,
        message: first.message,
        field: typeof field === 'string' ? field : undefined,
      };
    }
    return errorDetails(error.networkError);
  }
  return { code: undefined, message: error instanceof Error ? error.message : String(error), field: undefined };
}

/**
 * What a screen says for a code where the general sentence does not fit (sign-in: UNAUTHENTICATED is a wrong password).
 * No need to end it with a full stop: `readableError` ends every sentence.
 */
export type ErrorMessages = Partial<Record<string, string | ((details: ErrorDetails) => string)>>;

/** Ends a sentence with a full stop unless it already ends with one (or with ? ! …). Server messages have none. */
function sentence(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed === '' || /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Sentences a person can act on, by error code; a server message is shown where it is already one (validation). */
export function readableError(error: unknown, messages: ErrorMessages = {}): string {
  const details = errorDetails(error);
  const special = details.code !== undefined ? messages[details.code] : undefined;
  return sentence(
    special === undefined ? generalSentence(details) : typeof special === 'function' ? special(details) : special,
  );
}

function generalSentence({ code, message }: ErrorDetails): string {
  switch (code) {
    case 'BAD_USER_INPUT':
    case 'CONFLICT':
    case 'IDEMPOTENCY_CONFLICT':
    case 'NOT_FOUND':
      return message;
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
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
