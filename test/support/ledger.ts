import { fundedAccount, ok, OPEN_ACCOUNT } from './marketplace';
import type { Platform, SignedIn } from './platform';

const TRANSFER = 'mutation($i: TransferInput!) { transfer(input: $i) { id } }';

/**
 * Two people (signed up as `names`) with USD accounts (`a` funded with 500.00 by `treasury`), and `send(memo)`: a 1.00
 * transfer from `a` to `b` by its owner through the platform's router, with the memo as its idempotency key and any
 * extra headers (a `traceparent`). Setting up fails the test with the errors of a refused step; `send` returns the
 * response for the test to judge.
 */
export async function twoAccounts(platform: Platform, treasury: SignedIn, names: [string, string] = ['Alice', 'Bob']) {
  const alice = await platform.signUp(names[0]);
  const bob = await platform.signUp(names[1]);
  const a = await fundedAccount(platform, alice, '500.00', 'USD', treasury);
  const b = (await ok(platform, OPEN_ACCOUNT, { c: 'USD' }, bob)).openAccount.id as string;
  const send = (memo: string, headers: Record<string, string> = {}) =>
    platform.request(
      TRANSFER,
      { i: { fromAccountId: a, toAccountId: b, amount: '1.00', idempotencyKey: memo, memo } },
      { ...alice.headers, ...headers },
    );
  return { alice, bob, a, b, send };
}
