import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

/**
 * One refresh token. Each rotation makes a new row in the same family; presenting a rotated token again is reuse,
 * and revokes the whole family. Only a SHA-256 digest of the token is stored.
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: idProperty(),
    familyId: p.string().length(36).index(),
    userId: p.string().length(36).index(),
    tokenDigest: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    rotatedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type Session = InferEntity<typeof Session>;
