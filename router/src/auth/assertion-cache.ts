import type { KeyObject } from 'node:crypto';
import { signIdentityAssertion, type Identity } from '@azora/kit';
import { ExpiringCache } from './expiring-cache';

/** How long a signed assertion is handed out again: a third of its 60 s life, so every use has 40 s or more left. */
const REUSE_MS = 20_000;

/**
 * The identity assertions sent to subgraphs, signed once per identity and reused for 20 s. An assertion carries only
 * the identity (kind, subject, roles, scopes, address, credential expiry) and its own iat/exp; no request id or nonce
 * (kit/identity.ts), so two requests of the same caller within a second already got identical bytes, and reusing one
 * for a few seconds more gives a subgraph nothing it would not get anyway. An identity that differs in anything —
 * roles granted since, another address — is another key and gets its own assertion.
 */
export class AssertionCache {
  private readonly signed = new ExpiringCache<Promise<string>>();

  constructor(private readonly key: KeyObject) {}

  for(identity: Identity): Promise<string> {
    const id = JSON.stringify([
      identity.kind,
      identity.userId,
      identity.roles,
      identity.scopes,
      identity.ip ?? null,
      identity.expiresAt ?? null,
    ]);
    const now = Date.now();
    const cached = this.signed.get(id, now);
    if (cached) return cached;
    const assertion = signIdentityAssertion(identity, this.key);
    this.signed.set(id, assertion, now + REUSE_MS, now);
    assertion.catch(() => this.signed.delete(id));
    return assertion;
  }
}
