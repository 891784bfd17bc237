import { GraphQLError } from 'graphql';
import { encodeCursor, pageRequest, toConnection } from '../src';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as GraphQLError).extensions?.code;
  }
  return undefined;
};

describe('cursor connections', () => {
  it('round-trips cursors and defaults the page size', () => {
    expect(pageRequest({})).toEqual({ limit: 20, afterKey: null });
    expect(pageRequest({ first: 5, after: encodeCursor('01930000-key') })).toEqual({
      limit: 5,
      afterKey: '01930000-key',
    });
  });

  it('rejects bad sizes and forged cursors as BAD_USER_INPUT', () => {
    expect(codeOf(() => pageRequest({ first: -1 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => pageRequest({ first: 101 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => pageRequest({ after: 'garbage' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => pageRequest({ after: Buffer.from('{"x":1}').toString('base64url') }))).toBe('BAD_USER_INPUT');
  });

  it('derives hasNextPage from one extra row', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const page = toConnection(rows, 2, (r) => r.id);
    expect(page.edges.map((e) => e.node.id)).toEqual(['a', 'b']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('b') });
    expect(toConnection([], 2, (r: { id: string }) => r.id).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
