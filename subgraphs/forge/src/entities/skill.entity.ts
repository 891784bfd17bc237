import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { idProperty } from '@azora/kit';

/** The skills catalogue: a skill's slug (its key everywhere in Azora) and its name for people. */
export const Skill = defineEntity({
  name: 'Skill',
  tableName: 'skills',
  properties: {
    slug: p.string().length(40).primary(),
    name: p.string().length(80),
  },
});
export type Skill = InferEntity<typeof Skill>;

export const SKILL_SOURCES = ['VERIFIED', 'SELF_DECLARED'] as const;
export type SkillSource = (typeof SKILL_SOURCES)[number];

/**
 * A skill on a user's profile: one row per user and skill. A self-declared skill becomes VERIFIED when a certificate
 * proves it; a verified one never goes back.
 */
export const UserSkill = defineEntity({
  name: 'UserSkill',
  tableName: 'user_skills',
  uniques: [{ properties: ['userId', 'skillSlug'] }],
  properties: {
    id: idProperty(),
    /** The user's Aegis `User` id. */
    userId: p.string().length(36).index(),
    skillSlug: p.string().length(40),
    source: p.string().length(14).$type<SkillSource>(),
    /** The LMS certificate that first verified it. */
    certificateId: p.string().length(36).nullable(),
    since: p.datetime(),
  },
});
export type UserSkill = InferEntity<typeof UserSkill>;

/** Which skills an LMS certificate verified: Forge's record of what it granted, by certificate. */
export const SkillGrant = defineEntity({
  name: 'SkillGrant',
  tableName: 'skill_grants',
  properties: {
    certificateId: p.string().length(36).primary(),
    skillSlug: p.string().length(40).primary(),
    userId: p.string().length(36),
    position: p.integer(),
    grantedAt: p.datetime(),
  },
});
export type SkillGrant = InferEntity<typeof SkillGrant>;
