import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const ROLES = [
  'admin',
  'faculty',
  'learner',
  'employer',
  'treasury',
  'responder',
  'arbiter',
  'judge',
  'operator',
  'analyst',
] as const;
export type Role = (typeof ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: idProperty(),
    email: p.string().length(320).unique(),
    displayName: p.string().length(120),
    roles: p.json<Role[]>(),
    /** scrypt hash with its parameters; null for users who cannot sign in with a password. */
    passwordHash: p.text().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type User = InferEntity<typeof User>;
