import { Kind } from 'graphql';
import { DateTimeScalar, DecimalScalar } from '../src';

describe('scalars', () => {
  it('DateTime speaks ISO-8601 and refuses anything else', () => {
    expect(DateTimeScalar.serialize(new Date('2026-11-26T06:19:59Z'))).toBe('2026-11-26T06:19:59.000Z');
    expect(DateTimeScalar.parseValue('2026-11-26T06:19:59Z')).toEqual(new Date('2026-11-26T06:19:59Z'));
    expect(() => DateTimeScalar.parseValue('yesterday')).toThrow(/ISO-8601/);
    expect(() => DateTimeScalar.parseValue(1764137999000)).toThrow(/ISO-8601/);
  });

  it('Decimal is an exact string, never a float or exponent', () => {
    expect(DecimalScalar.parseValue('12.34')).toBe('12.34');
    expect(DecimalScalar.parseLiteral({ kind: Kind.STRING, value: '0.5' })).toBe('0.5');
    for (const bad of ['1e3', 'NaN', '12.', '.5', '01', ' 1', 12.34]) {
      expect(() => DecimalScalar.parseValue(bad)).toThrow(/Decimal/);
    }
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '12.34' })).toThrow(/not a number/);
  });
});
