import type { Platform, SignedIn } from './platform';

/**
 * Two people (signed up as `names`) with USD accounts (`a` funded with 500.00 by `treasury`), and `send(memo)`: a 1.00
 * transfer from `a` to `b` by its owner, with the memo as its idempotency key, through `router` (the platform's by
 * default) with any extra headers (a `traceparent`).
 */
export async function twoAccounts(platform: Platform, treasury: SignedIn, names: [string, string] = ['Alice', 'Bob']) {
  const alice = await platform.signUp(names[0]);
  const bob = await platform.signUp(names[1]);
  const open = async (user: SignedIn) =>
    (await platform.request('mutation { openAccount(input: { currency: "USD" }) { id } }', {}, user.headers)).body.data.openAccount.id as string;
  const a = await open(alice);
  const b = await open(bob);
  await platform.request('mutation($i: DepositInput!) { deposit(input: $i) { id } }', { i: { accountId: a, amount: '500.00', idempotencyKey: `f-${a}` } }, treasury.headers);
  const send = (memo: string, router: Pick<Platform, 'request'> = platform, headers: Record<string, string> = {}) =>
    router.request('mutation($i: TransferInput!) { transfer(input: $i) { id } }', { i: { fromAccountId: a, toAccountId: b, amount: '1.00', idempotencyKey: memo, memo } }, { ...alice.headers, ...headers });
  return { alice, bob, a, b, send };
}
