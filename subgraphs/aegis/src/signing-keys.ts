import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import type { Orm } from '@azora/kit';
import type { AegisConfig } from './config';
import { SigningKey } from './entities/signing-key.entity';
import { decrypt, encrypt } from './secrets';

const ALGORITHM = 'EdDSA';
const CLOCK_SKEW_SECONDS = 60;

export interface AccessTokenClaims {
  subject: string;
  kind: 'user' | 'client';
  roles: string[];
  scopes: string[];
}

/**
 * Aegis's JWT signing keys, kept in its database so every replica signs with the same key and a restart keeps them.
 * Process-wide: it holds the decrypted active key in memory and re-reads it briefly after a rotation elsewhere.
 */
export class SigningKeys {
  private active: { kid: string; key: KeyLike | Uint8Array; loadedAt: number } | undefined;

  constructor(
    private readonly orm: Orm,
    private readonly config: AegisConfig,
  ) {}

  /** Makes the first key when there is none. */
  async ensureKey(): Promise<void> {
    const em = this.orm.em.fork();
    if ((await em.count(SigningKey, { retiredAt: null })) === 0) await this.createKey();
  }

  /** A new active key; the old one retires but stays published until its tokens have expired. */
  async rotate(): Promise<string> {
    const em = this.orm.em.fork();
    await em.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: new Date() });
    this.active = undefined;
    return this.createKey();
  }

  private async createKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const em = this.orm.em.fork();
    em.create(SigningKey, {
      kid,
      algorithm: ALGORITHM,
      publicJwk: { ...(publicJwk as unknown as Record<string, string>), kid, alg: ALGORITHM, use: 'sig' },
      encryptedPrivateKey: encrypt(
        this.config.AEGIS_KEY_ENCRYPTION_SECRET,
        JSON.stringify(await exportJWK(privateKey)),
      ),
    });
    await em.flush();
    return kid;
  }

  private async activeKey() {
    if (this.active && Date.now() - this.active.loadedAt < 30_000) return this.active;
    const row = await this.orm.em.fork().findOne(SigningKey, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
    if (!row) throw new Error('no active signing key');
    const jwk = JSON.parse(decrypt(this.config.AEGIS_KEY_ENCRYPTION_SECRET, row.encryptedPrivateKey)) as JWK;
    this.active = { kid: row.kid, key: await importJWK(jwk, ALGORITHM), loadedAt: Date.now() };
    return this.active;
  }

  /** The published keys: the active one and every retired one whose tokens may still be unexpired. */
  async jwks(): Promise<{ keys: Record<string, string>[] }> {
    const horizon = new Date(Date.now() - (this.config.AEGIS_ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
    const rows = await this.orm.em
      .fork()
      .find(
        SigningKey,
        { $or: [{ retiredAt: null }, { retiredAt: { $gt: horizon } }] },
        { orderBy: { createdAt: 'desc' } },
      );
    return { keys: rows.map((row) => row.publicJwk) };
  }

  /** A short-lived access token (RFC 9068 `at+jwt`). */
  async accessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    const { kid, key } = await this.activeKey();
    const expiresIn = this.config.AEGIS_ACCESS_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ kind: claims.kind, roles: claims.roles, scopes: claims.scopes })
      .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'at+jwt' })
      .setIssuer(this.config.AZORA_ISSUER)
      .setAudience(this.config.AZORA_JWT_AUDIENCE)
      .setSubject(claims.subject)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .sign(key);
    return { token, expiresIn };
  }
}
