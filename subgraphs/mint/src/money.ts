/** Minor digits per supported currency (ISO 4217). */
export const CURRENCY_MINOR_DIGITS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, ZAR: 2, GBP: 2, JPY: 0 };

/** Formats integer minor units as an exact decimal string: 1234n USD → "12.34". */
export function formatMinor(minor: bigint, currency: string): string {
  const digits = CURRENCY_MINOR_DIGITS[currency] ?? 2;
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const fraction = digits > 0 ? `.${abs.slice(abs.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
