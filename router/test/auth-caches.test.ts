import {
  generateAssertionKeys,
  privateKeyFromPem,
  publicKeyFromPem,
  signIdentityAssertion,
  verifyIdentityAssertion,
  type Identity,
} from '@azora/kit';
import { AssertionCache } from '../src/auth/assertion-cache';
import { ExpiringCache } from '../src/auth/expiring-cache';

describe('ExpiringCache', () => {
  it('forgets an entry at its own expiry', () => {
    const cache = new ExpiringCache<string>();
    cache.set('a', 'A', 1_000, 0);
    expect(cache.get('a', 999)).toBe('A');
    expect(cache.get('a', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stays within its bound: expired entries go first, then the oldest', () => {
    const cache = new ExpiringCache<number>(10);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i, i < 5 ? 100 : 10_000, 0);
    cache.set('new', 99, 10_000, 500); // five expired entries make room
    expect(cache.size).toBe(6);
    expect(cache.get('k0', 500)).toBeUndefined();
    for (let i = 0; i < 4; i++) cache.set(`more${i}`, i, 10_000, 500);
    cache.set('last', 1, 10_000, 500); // full of live entries: the oldest (k5) goes
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get('k5', 500)).toBeUndefined();
    expect(cache.get('last', 500)).toBe(1);
  });
});

describe('AssertionCache', () => {
  const keys = generateAssertionKeys();
  const key = privateKeyFromPem(keys.privateKey);
  const cache = new AssertionCache(key);
  const ada: Identity = {
    kind: 'user',
    userId: 'u-1',
    roles: ['learner'],
    scopes: [],
    ip: '10.0.0.1',
    expiresAt: 2_000_000_000,
  };

  describe('over time', () => {
    // Only Date is faked (the cache's clock and jose's iat): signing's promises and timers keep running for real.
    const realTimers = [
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'hrtime',
      'performance',
    ] as const;
    beforeEach(() => jest.useFakeTimers({ doNotFake: [...realTimers] }));
    afterEach(() => jest.useRealTimers());

    it('signs an identity once and hands the same assertion to its next requests for 20 s', async () => {
      // Ed25519 signatures are deterministic and iat is whole seconds: within a second, signing again gives the same
      // bytes, so only a later request can tell a cached assertion from a fresh one.
      const start = Date.UTC(2030, 0, 1);
      const timed = new AssertionCache(key);
      jest.setSystemTime(start);
      const first = await timed.for(ada);

      jest.setSystemTime(start + 10_000);
      expect(await signIdentityAssertion(ada, key)).not.toBe(first);
      expect(await timed.for({ ...ada })).toBe(first);

      jest.setSystemTime(start + 20_000);
      const renewed = await timed.for(ada);
      expect(renewed).not.toBe(first);
      expect(await verifyIdentityAssertion(renewed, publicKeyFromPem(keys.publicKey))).toEqual(ada);
    });
  });

  it('signs anew for anything that differs: roles, kind, address, user', async () => {
    const first = await cache.for(ada);
    const others: Identity[] = [
      { ...ada, roles: ['learner', 'admin'] },
      { ...ada, kind: 'apiKey' },
      { ...ada, ip: '10.0.0.2' },
      { ...ada, userId: 'u-2' },
    ];
    for (const other of others) {
      const assertion = await cache.for(other);
      expect(assertion).not.toBe(first);
      expect(await verifyIdentityAssertion(assertion, publicKeyFromPem(keys.publicKey))).toEqual(other);
    }
  });
});
