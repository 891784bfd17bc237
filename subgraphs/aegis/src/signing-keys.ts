import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { transaction, type SqlEntityManager } from '@azora/kit';
import { SigningKey } from './entities/signing-key.entity';
import type { Context } from './schema';
import { decrypt, encrypt } from './secrets';

const ALGORITHM = 'EdDSA';
const CLOCK_SKEW_SECONDS = 60;
/** How long a process signs with the key it last read: a rotation elsewhere reaches it within this. */
const ACTIVE_KEY_TTL_MS = 30_000;

export interface AccessTokenClaims {
  subject: string;
  kind: 'user' | 'client';
  roles: string[];
  scopes: string[];
}

/**
 * The decrypted active key, held in memory for as long as Aegis runs (it is part of `ctx.config`, made once per
 * start), so that signing a token does not read and decrypt the key every time.
 */
export class ActiveKeyCache {
  current: { kid: string; key: KeyLike | Uint8Array; loadedAt: number } | undefined;
}

/**
 * Aegis's JWT signing keys, kept in its database so every replica signs with the same key and a restart keeps them.
 * Private keys are encrypted at rest; the active one is decrypted into `ctx.config.activeKey` and re-read briefly
 * after a rotation elsewhere.
 */
export class SigningKeyService {
  constructor(private readonly ctx: Context) {}

  /** Makes the first key when there is none. */
  async ensureKey(): Promise<void> {
    if ((await this.ctx.em.count(SigningKey, { retiredAt: null })) === 0) await this.createKey(this.ctx.em);
  }

  /**
   * A new active key; the old one retires but stays published until its tokens have expired. Retiring and creating
   * are one transaction, so there is never a moment without an active key. Who may rotate (admins) is the router's.
   */
  async rotate(): Promise<{ kid: string; publishedKids: string[] }> {
    const kid = await transaction(this.ctx.em, async (em) => {
      await em.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: new Date() });
      return this.createKey(em);
    });
    this.ctx.config.activeKey.current = undefined;
    return { kid, publishedKids: (await this.jwks()).keys.map((key) => key.kid!) };
  }

  /** The published keys: the active one and every retired one whose tokens may still be unexpired. */
  async jwks(): Promise<{ keys: Record<string, string>[] }> {
    const horizon = new Date(Date.now() - (this.ctx.config.AEGIS_ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
    const rows = await this.ctx.em.find(
      SigningKey,
      { $or: [{ retiredAt: null }, { retiredAt: { $gt: horizon } }] },
      { orderBy: { createdAt: 'desc' } },
    );
    return { keys: rows.map((row) => row.publicJwk) };
  }

  /** A short-lived access token (RFC 9068 `at+jwt`). */
  async accessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    const { config } = this.ctx;
    const { kid, key } = await this.activeKey();
    const expiresIn = config.AEGIS_ACCESS_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ kind: claims.kind, roles: claims.roles, scopes: claims.scopes })
      .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'at+jwt' })
      .setIssuer(config.AZORA_ISSUER)
      .setAudience(config.AZORA_JWT_AUDIENCE)
      .setSubject(claims.subject)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .sign(key);
    return { token, expiresIn };
  }

  private async createKey(em: SqlEntityManager): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    em.create(SigningKey, {
      kid,
      algorithm: ALGORITHM,
      publicJwk: { ...(publicJwk as unknown as Record<string, string>), kid, alg: ALGORITHM, use: 'sig' },
      encryptedPrivateKey: encrypt(
        this.ctx.config.AEGIS_KEY_ENCRYPTION_SECRET,
        JSON.stringify(await exportJWK(privateKey)),
      ),
    });
    await em.flush();
    return kid;
  }

  private async activeKey() {
    const cache = this.ctx.config.activeKey;
    if (cache.current && Date.now() - cache.current.loadedAt < ACTIVE_KEY_TTL_MS) return cache.current;
    const row = await this.ctx.em.findOne(SigningKey, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
    if (!row) throw new Error('no active signing key');
    const jwk = JSON.parse(decrypt(this.ctx.config.AEGIS_KEY_ENCRYPTION_SECRET, row.encryptedPrivateKey)) as JWK;
    cache.current = { kid: row.kid, key: await importJWK(jwk, ALGORITHM), loadedAt: Date.now() };
    return cache.current;
  }
}
