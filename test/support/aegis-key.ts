import { importJWK, type JWK, type KeyLike } from 'jose';
import { loadAegisConfig } from '../../subgraphs/aegis/src/config';
import { SigningKey } from '../../subgraphs/aegis/src/entities/signing-key.entity';
import { decrypt } from '../../subgraphs/aegis/src/secrets';
import type { Platform } from './platform';

/**
 * The test platform's live Aegis signing key, decrypted with the secret Aegis itself was started with: for tests that
 * sign tokens Aegis did not issue (expiring soon, forged claims) yet with a signature the router accepts.
 */
export async function aegisSigningKey(
  platform: Platform,
): Promise<{ kid: string; key: KeyLike | Uint8Array; publicJwk: JWK }> {
  const row = await platform.subgraphs.aegis!.orm.em.fork().findOneOrFail(SigningKey, { retiredAt: null });
  const secret = loadAegisConfig(process.env, 'test').AEGIS_KEY_ENCRYPTION_SECRET;
  return {
    kid: row.kid,
    key: await importJWK(JSON.parse(decrypt(secret, row.encryptedPrivateKey)), 'EdDSA'),
    publicJwk: row.publicJwk as unknown as JWK,
  };
}
