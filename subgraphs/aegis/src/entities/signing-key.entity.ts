import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty } from '@azora/kit';

/**
 * A JWT signing key pair. The private key is stored encrypted (AES-256-GCM) with the key-encryption secret. A retired
 * key no longer signs but stays in the JWKS until the last token it signed has expired.
 */
export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    kid: p.string().length(64).primary(),
    algorithm: p.string().length(16),
    publicJwk: p.json<Record<string, string>>(),
    encryptedPrivateKey: p.text(),
    createdAt: createdAtProperty(),
    retiredAt: p.datetime().nullable(),
  },
});
export type SigningKey = InferEntity<typeof SigningKey>;
