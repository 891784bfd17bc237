import { parse, print, type OperationDefinitionNode } from 'graphql';
import { deriveOperations, subscriptionRoot, usedVariables } from '../src/subscriptions/derived-operations';

/** Compares printed documents, so the tests read as GraphQL and do not depend on whitespace. */
const normalized = (query: string) => print(parse(query));

describe('the operations derived from a client subscription', () => {
  it('asks the owner for the field with its arguments and only the id of each payload', () => {
    const document = parse(`subscription Wallet($accountId: ID!, $currency: String) {
      wallet: accountActivity(accountId: $accountId) @skip(if: false) { amount(currency: $currency) { amount } }
    }`);
    const derived = deriveOperations(document, 'Wallet', 'ledgerEntry');
    expect(derived.field).toBe('accountActivity');
    expect(derived.responseKey).toBe('wallet');
    // No alias (the router reads the id by field name), no directives, and only the variables the field uses.
    expect(derived.upstreamQuery).toBe(
      normalized('subscription($accountId: ID!) { accountActivity(accountId: $accountId) { id } }'),
    );
  });

  it("judges the subscription field alone, with the client's arguments and no selection below it", () => {
    const document = parse(`subscription Wallet($accountId: ID!, $currency: String) {
      wallet: accountActivity(accountId: $accountId) { amount(currency: $currency) { amount } }
    }`);
    expect(print(deriveOperations(document, 'Wallet', 'ledgerEntry').fieldQuery)).toBe(
      normalized('subscription($accountId: ID!) { wallet: accountActivity(accountId: $accountId) { __typename } }'),
    );
  });

  it("reads each event through the lookup with the client's selection, its variables and the fragments it reaches", () => {
    const document = parse(`
      subscription Activity($accountId: ID!, $currency: String) {
        accountActivity(accountId: $accountId) { ...Entry direction }
      }
      query Other { currencies { ...Unused } }
      fragment Entry on LedgerEntry { amount(currency: $currency) { ...Money } }
      fragment Money on Money { amount currency }
      fragment Unused on Currency { code }
    `);
    const { followUpQuery } = deriveOperations(document, 'Activity', 'ledgerEntry');
    expect(followUpQuery).toBe(
      normalized(`
        query SubscriptionEvent($currency: String, $__azoraId: ID!) {
          accountActivity: ledgerEntry(id: $__azoraId) { ...Entry direction }
        }
        fragment Entry on LedgerEntry { amount(currency: $currency) { ...Money } }
        fragment Money on Money { amount currency }
      `),
    );
  });

  it('keeps the alias as the response key of the follow-up read', () => {
    const document = parse('subscription { mine: userSignedUp { id email } }');
    const derived = deriveOperations(document, undefined, 'user');
    expect(derived.followUpQuery).toBe(
      normalized('query SubscriptionEvent($__azoraId: ID!) { mine: user(id: $__azoraId) { id email } }'),
    );
    expect(derived.upstreamQuery).toBe(normalized('subscription { userSignedUp { id } }'));
  });

  it('finds the root field of the named subscription and refuses anything else', () => {
    const document = parse('query Q { me { id } } subscription S { userSignedUp { id } }');
    expect(subscriptionRoot(document, 'S').root.name.value).toBe('userSignedUp');
    expect(() => subscriptionRoot(document, 'Q')).toThrow(/not a subscription/);
  });

  it('declares exactly the variables a piece of a document uses', () => {
    const operation = parse('query($a: Int, $b: Int, $c: Int) { x(a: $a) { y(c: $c) } }')
      .definitions[0] as OperationDefinitionNode;
    const used = usedVariables([operation.selectionSet], operation.variableDefinitions ?? []);
    expect(used.map((d) => d.variable.name.value)).toEqual(['a', 'c']);
  });
});
