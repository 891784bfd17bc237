import { GraphQLError } from 'graphql';
import { formatMinor, parseAmount } from '../src/money';

const USD = { code: 'USD', minorDigits: 2 };
const JPY = { code: 'JPY', minorDigits: 0 };
const MAX = 100_000_000n; // 1,000,000.00 USD

const rejection = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { code: (error as GraphQLError).extensions?.code, message: (error as Error).message };
  }
  return undefined;
};

describe('money', () => {
  it('formats integer minor units exactly, per currency', () => {
    expect(formatMinor(0n, 2)).toBe('0.00');
    expect(formatMinor(5n, 2)).toBe('0.05');
    expect(formatMinor(1234n, 2)).toBe('12.34');
    expect(formatMinor(-1234n, 2)).toBe('-12.34');
    expect(formatMinor(1234n, 0)).toBe('1234');
    expect(formatMinor(9_007_199_254_740_993n, 2)).toBe('90071992547409.93');
  });

  it('parses amounts into minor units without floats', () => {
    expect(parseAmount('12.34', USD, MAX)).toBe(1234n);
    expect(parseAmount('0.1', USD, MAX)).toBe(10n);
    expect(parseAmount('1000000', USD, MAX)).toBe(MAX);
    expect(parseAmount('1500', JPY, 10_000n)).toBe(1500n);
  });

  it.each([
    ['0', /greater than zero/],
    ['0.00', /greater than zero/],
    ['-5', /positive decimal/],
    ['12.345', /at most 2 decimal/],
    ['1e3', /positive decimal/],
    ['1E-2', /positive decimal/],
    ['NaN', /positive decimal/],
    ['Infinity', /positive decimal/],
    ['12,34', /positive decimal/],
    [' 12', /positive decimal/],
    ['0x10', /positive decimal/],
    ['1000000.01', /above the maximum/],
    ['9'.repeat(40), /positive decimal/],
  ])('refuses %p with BAD_USER_INPUT', (amount, message) => {
    expect(rejection(() => parseAmount(amount, USD, MAX))).toEqual({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(message),
    });
  });

  it('refuses decimals for a currency without minor units', () => {
    expect(rejection(() => parseAmount('10.5', JPY, 10_000n))?.message).toMatch(/at most 0 decimal/);
  });
});
