import { badInput } from '@azora/kit';

/** The currencies Mint starts with; the `currencies` table is the source of truth at run time. */
export const DEFAULT_CURRENCIES = [
  { code: 'USD', name: 'US dollar', minorDigits: 2 },
  { code: 'EUR', name: 'Euro', minorDigits: 2 },
  { code: 'GBP', name: 'Pound sterling', minorDigits: 2 },
  { code: 'ZAR', name: 'South African rand', minorDigits: 2 },
  { code: 'KES', name: 'Kenyan shilling', minorDigits: 2 },
  { code: 'NGN', name: 'Nigerian naira', minorDigits: 2 },
  { code: 'JPY', name: 'Japanese yen', minorDigits: 0 },
] as const;

const PLAIN_DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,30})?$/;

/**
 * Parses a client amount into integer minor units. Refused as BAD_USER_INPUT: zero or negative, more decimals than
 * the currency has, exponent notation, NaN or other text, and anything above `maxMinor`.
 */
export function parseAmount(text: string, currency: { code: string; minorDigits: number }, maxMinor: bigint): bigint {
  if (typeof text !== 'string' || !PLAIN_DECIMAL.test(text)) {
    throw badInput('An amount is a positive decimal string such as "12.34"', 'amount');
  }
  const [whole, fraction = ''] = text.split('.') as [string, string?];
  if (fraction.length > currency.minorDigits) {
    throw badInput(`${currency.code} amounts have at most ${currency.minorDigits} decimal places`, 'amount');
  }
  const minor =
    BigInt(whole) * 10n ** BigInt(currency.minorDigits) + BigInt(fraction.padEnd(currency.minorDigits, '0') || '0');
  if (minor <= 0n) throw badInput('An amount must be greater than zero', 'amount');
  if (minor > maxMinor)
    throw badInput(
      `The amount is above the maximum of ${formatMinor(maxMinor, currency.minorDigits)} ${currency.code}`,
      'amount',
    );
  return minor;
}

/** Formats integer minor units as an exact decimal string: 1234n with 2 digits → "12.34". */
export function formatMinor(minor: bigint, minorDigits: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(minorDigits + 1, '0');
  const whole = digits.slice(0, digits.length - minorDigits);
  const fraction = minorDigits > 0 ? `.${digits.slice(digits.length - minorDigits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
