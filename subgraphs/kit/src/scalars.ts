import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

function toDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value as string)) {
    throw badInput('DateTime must be an ISO-8601 string such as 2026-11-26T06:19:59Z');
  }
  return date;
}

/** `DateTime`: ISO-8601 in UTC on the wire, `Date` in resolvers. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time, as an ISO-8601 string in UTC.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: toDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return toDate(ast.value);
  },
});

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function toDecimal(value: unknown): string {
  if (typeof value !== 'string' || value.length > 40 || !DECIMAL.test(value)) {
    throw badInput('Decimal must be a string of digits with an optional fraction, such as "12.34"');
  }
  return value;
}

/**
 * `Decimal`: an exact decimal number carried as a string ("12.34"), never a float. Currency-specific rules (how many
 * fraction digits, limits) belong to the domain that parses the amount.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number serialised as a string, such as "12.34".',
  serialize: (value) => toDecimal(value),
  parseValue: toDecimal,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('Decimal must be a string such as "12.34", not a number');
    return toDecimal(ast.value);
  },
});

/** `JSON`: any JSON value, passed through as is (event payloads). */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral(ast) {
    throw badInput(`JSON values are accepted only as variables, not inline (${ast.kind})`);
  },
});
