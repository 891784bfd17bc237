import { DomainError, errorCodes, type ErrorCode } from '@azora/kit';

/**
 * Mint's own domain codes: outcomes a client acts on differently from a plain CONFLICT (top the account up; pick a
 * fresh idempotency key). They pass Mint's masking, marked as Mint's.
 */
export const mintErrors = errorCodes('INSUFFICIENT_FUNDS', 'IDEMPOTENCY_CONFLICT');

/** Mint's codes by name, to tell its errors apart: `hasCode(error, MintCode.IDEMPOTENCY_CONFLICT)`. */
export const MintCode = Object.fromEntries(Object.keys(mintErrors).map((code) => [code, code])) as {
  readonly [Code in keyof typeof mintErrors]: Code;
};

export const insufficientFunds = (message = 'The account does not have enough money for this') =>
  mintErrors.INSUFFICIENT_FUNDS(message);
export const idempotencyConflict = () =>
  mintErrors.IDEMPOTENCY_CONFLICT('This idempotency key was already used for a different request');

/** Whether an error is an expected outcome with one of these codes: a platform code or one of Mint's own. */
export function hasCode(error: unknown, ...codes: (ErrorCode | keyof typeof mintErrors)[]): boolean {
  return error instanceof DomainError && (codes as string[]).includes(String(error.extensions.code));
}
