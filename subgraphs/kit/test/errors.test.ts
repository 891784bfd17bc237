import { GraphQLError } from 'graphql';
import { DomainError, maskError } from '../src';

describe('error masking', () => {
  it('passes expected errors with their code and drops stack traces', () => {
    const error = new DomainError('NOT_FOUND', 'Account x was not found', { id: 'x' });
    expect(
      maskError({ message: error.message, extensions: { ...error.extensions, stacktrace: ['at secret.ts:1'] } }),
    ).toEqual({
      message: 'Account x was not found',
      extensions: { code: 'NOT_FOUND', id: 'x' },
    });
  });

  it('masks unexpected errors and codes outside the closed list', () => {
    const internal = new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432', {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(maskError({ message: internal.message, path: ['a'], extensions: internal.extensions })).toEqual({
      message: 'Internal server error',
      path: ['a'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(maskError({ message: 'boom', extensions: { code: 'SOME_LIBRARY_CODE' } }).message).toBe(
      'Internal server error',
    );
    expect(maskError({ message: 'no code' }).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
