import { buildSchema, parse } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { createOperationGuard } from '../src/limits/operation-limits';
import { parseRouterSettings } from '../src/settings';

// Counted, so the test sees whether a document was priced again or its cost reused.
jest.mock('graphql-query-complexity', () => {
  const actual = jest.requireActual('graphql-query-complexity');
  return { ...actual, getComplexity: jest.fn(actual.getComplexity) };
});
const pricings = jest.mocked(getComplexity);

const schema = buildSchema(`
  type Query { user(id: ID!): User, users(first: Int = 10): UserConnection! }
  type User { id: ID! }
  type UserConnection { edges: [UserEdge!]! }
  type UserEdge { node: User! }
`);

describe('the operation guard prices an operation', () => {
  const guard = createOperationGuard(parseRouterSettings({}).limits);
  /** The cost of each variables set in turn, for one parsed document (Apollo Server hands out the same one). */
  const costs = (query: string, ...variableSets: Record<string, unknown>[]) => {
    const document = parse(query);
    return variableSets.map((variables) => guard.checkOperation({ schema, document, variables }));
  };
  beforeEach(() => pricings.mockClear());

  it('once when no variable can change its cost', () => {
    expect(costs('query($id: ID!) { user(id: $id) { id } }', { id: '1' }, { id: '2' }, { id: '3' })).toEqual([1, 1, 1]);
    expect(pricings).toHaveBeenCalledTimes(1);
  });

  it('again for each variables set when `first` is a variable', () => {
    // users 1 + first * (edges 1 + node 1)
    expect(
      costs('query($n: Int) { users(first: $n) { edges { node { id } } } }', { n: 1 }, { n: 5 }, { n: 1 }),
    ).toEqual([3, 11, 3]);
    expect(pricings).toHaveBeenCalledTimes(3);
  });

  it('again for each variables set when a directive takes a variable', () => {
    const query =
      'query($v: Boolean!) { user(id: "1") { id } users(first: 2) @include(if: $v) { edges { node { id } } } }';
    expect(costs(query, { v: true }, { v: false }, { v: true })).toEqual([6, 1, 6]);
    expect(pricings).toHaveBeenCalledTimes(3);
  });
});
