import { formatMinor } from '../src/money';

describe('formatMinor', () => {
  it('formats integer minor units exactly, per currency', () => {
    expect(formatMinor(0n, 'USD')).toBe('0.00');
    expect(formatMinor(5n, 'USD')).toBe('0.05');
    expect(formatMinor(1234n, 'USD')).toBe('12.34');
    expect(formatMinor(-1234n, 'EUR')).toBe('-12.34');
    expect(formatMinor(1234n, 'JPY')).toBe('1234');
    expect(formatMinor(9_007_199_254_740_993n, 'USD')).toBe('90071992547409.93');
  });
});
