import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

/** An API key for a device or integration. The secret is shown once; only its HMAC digest is kept. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: idProperty(),
    userId: p.string().length(36).index(),
    name: p.string().length(120),
    /** The first characters of the secret, so people can tell their keys apart. */
    prefix: p.string().length(16),
    digest: p.string().length(64).unique(),
    scopes: p.json<string[]>(),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;
