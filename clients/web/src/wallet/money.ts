/**
 * Money stays an exact decimal string end to end (the API's Decimal); it is never turned into a float, only laid
 * out for reading.
 */

const grouping = new Intl.NumberFormat(undefined, { useGrouping: true });
const decimalSeparator =
  new Intl.NumberFormat(undefined).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';

/** `"1234.50"` → `"1,234.50"` in the reader's locale, digit for digit. */
export function formatAmount(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = grouping.format(BigInt(whole));
  return `${negative ? '−' : ''}${grouped}${fraction !== undefined ? decimalSeparator + fraction : ''}`;
}

export function formatMoney(money: { amount: string; currency: string }): string {
  return `${formatAmount(money.amount)} ${money.currency}`;
}

/**
 * What a person typed, as the API's decimal string, or null when it is not a number at all. "12,50" is read as
 * 12.50. Everything else about an amount (positive, the currency's decimal places, the maximum) is the ledger's rule
 * and comes back from the server as BAD_USER_INPUT, so the rules live in one place.
 */
export function parseAmountInput(input: string): string | null {
  const trimmed = input.trim().replace(/^(\d+),(\d+)$/, '$1.$2');
  return /^\d+(\.\d+)?$/.test(trimmed) ? trimmed : null;
}

/** A fresh idempotency key (the ledger accepts letters, digits and `._:-`, up to 100). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
