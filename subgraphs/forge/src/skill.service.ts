import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { lmsEvents } from '@azora/lms';
import { entityRef, parseSlugs, personId, transaction, type EventPayload, type SqlEntityManager } from '@azora/kit';
import { Skill, SkillGrant, UserSkill } from './entities/skill.entity';
import type { Context } from './schema';

/** The names of well-known skills; any other slug is named after its words (`data-analysis` → `Data analysis`). */
export const DEFAULT_SKILLS: readonly { slug: string; name: string }[] = [
  { slug: 'typescript', name: 'TypeScript' },
  { slug: 'javascript', name: 'JavaScript' },
  { slug: 'graphql', name: 'GraphQL' },
  { slug: 'nodejs', name: 'Node.js' },
  { slug: 'react', name: 'React' },
  { slug: 'python', name: 'Python' },
  { slug: 'sql', name: 'SQL' },
  { slug: 'postgresql', name: 'PostgreSQL' },
  { slug: 'rust', name: 'Rust' },
  { slug: 'go', name: 'Go' },
  { slug: 'machine-learning', name: 'Machine learning' },
  { slug: 'data-analysis', name: 'Data analysis' },
  { slug: 'ux-design', name: 'UX design' },
  { slug: 'technical-writing', name: 'Technical writing' },
];

/** The name of a skill the catalogue does not have yet: its slug's words, the first capitalised. */
export function skillName(slug: string): string {
  const known = DEFAULT_SKILLS.find((s) => s.slug === slug);
  if (known) return known.name;
  const words = slug.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Adds the skills the catalogue lacks, named by `skillName` (safe under concurrency). */
export async function catalogueSkills(em: SqlEntityManager, slugs: readonly string[]): Promise<void> {
  if (slugs.length === 0) return;
  await em.upsertMany(
    Skill,
    slugs.map((slug) => ({ slug, name: skillName(slug) })),
    { onConflictAction: 'ignore' },
  );
}

/** LMS owns certificates; Forge knows one by its key. */
export interface CertificateReference {
  id: string;
}

/** A certificate LMS issued, as its `lms.certificate.issued` event tells it (what Forge needs of it). */
export type IssuedCertificate = Pick<
  EventPayload<typeof lmsEvents, 'lms.certificate.issued'>,
  'certificateId' | 'learnerId' | 'skills'
>;

/** A skill as the schema shows it: the catalogue's entry, or, for one only LMS has named so far, the name it will get. */
export type NamedSkill = Pick<Skill, 'slug' | 'name'>;

/** Skills: the catalogue and people's profiles (verified by certificates, or self-declared). */
export class SkillService {
  constructor(private readonly ctx: Context) {}

  catalogue(): Promise<Skill[]> {
    return this.ctx.em.find(Skill, {}, { orderBy: { name: 'asc' } });
  }

  /** A skill by slug: the catalogue's entry, or, for one only LMS has named so far, the name it will get. */
  async bySlug(slug: string): Promise<NamedSkill> {
    return (await this.ctx.loaders.skillBySlug.load(slug)) ?? { slug, name: skillName(slug) };
  }

  /** A person's profile: verified skills first, then by slug. */
  profileOf(userId: string): Promise<UserSkill[]> {
    return this.ctx.loaders.skillsOfUser.load(userId);
  }

  /** Whether a certificate proves the skill (else its holder declared it). */
  isVerified(held: UserSkill): boolean {
    return held.source === 'VERIFIED';
  }

  /** The certificate that verified the skill, as LMS's `Certificate` reference; none for a declared one. */
  certificateOf(held: UserSkill) {
    return held.certificateId ? entityRef('Certificate', 'id', held.certificateId) : null;
  }

  /** The skills a certificate verified, in the certificate's order. */
  async grantedBy(certificate: CertificateReference): Promise<NamedSkill[]> {
    const grants = await this.ctx.loaders.grantsByCertificate.load(certificate.id);
    return Promise.all(grants.map((grant) => this.bySlug(grant.skillSlug)));
  }

  /** Adds a self-declared skill to the caller's profile; one already there (either kind) is returned as it is. */
  async declare(slugText: string): Promise<UserSkill> {
    const userId = personId(this.ctx.identity);
    const [slug] = parseSlugs([slugText], 'slug', 1) as [string];
    const existing = await this.ctx.em.findOne(UserSkill, { userId, skillSlug: slug });
    if (existing) return existing;
    try {
      return await transaction(this.ctx.em, async (em) => {
        await catalogueSkills(em, [slug]);
        const skill = em.create(UserSkill, {
          userId,
          skillSlug: slug,
          source: 'SELF_DECLARED',
          certificateId: null,
          since: new Date(),
        });
        this.ctx.events.record('forge.skill.declared', { userId, skill: slug });
        return skill;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        return this.ctx.em.fork().findOneOrFail(UserSkill, { userId, skillSlug: slug });
      throw error;
    }
  }

  /** Removes a self-declared skill; a verified one stays (a certificate proves it). */
  async retract(slugText: string): Promise<boolean> {
    const userId = personId(this.ctx.identity);
    const [slug] = parseSlugs([slugText], 'slug', 1) as [string];
    return transaction(this.ctx.em, async (em) => {
      const removed = await em.nativeDelete(UserSkill, { userId, skillSlug: slug, source: 'SELF_DECLARED' });
      if (removed > 0) this.ctx.events.record('forge.skill.retracted', { userId, skill: slug });
      return removed > 0;
    });
  }

  /**
   * Verifies a certificate's skills on its learner's profile: new ones are added VERIFIED, self-declared ones become
   * VERIFIED, verified ones stay as they are. The certificate's grants are recorded either way.
   */
  async grant(certificate: IssuedCertificate): Promise<void> {
    const slugs = parseSlugs(certificate.skills, 'skills', 50);
    await transaction(this.ctx.em, async (em) => {
      await catalogueSkills(em, slugs);
      const now = new Date();
      const profile = new Map(
        (await em.find(UserSkill, { userId: certificate.learnerId, skillSlug: { $in: slugs } })).map((s) => [
          s.skillSlug,
          s,
        ]),
      );
      const verified: string[] = [];
      slugs.forEach((skillSlug, position) => {
        em.create(SkillGrant, {
          certificateId: certificate.certificateId,
          skillSlug,
          userId: certificate.learnerId,
          position,
          grantedAt: now,
        });
        const held = profile.get(skillSlug);
        if (held?.source === 'VERIFIED') return;
        verified.push(skillSlug);
        if (held) Object.assign(held, { source: 'VERIFIED', certificateId: certificate.certificateId, since: now });
        else
          em.create(UserSkill, {
            userId: certificate.learnerId,
            skillSlug,
            source: 'VERIFIED',
            certificateId: certificate.certificateId,
            since: now,
          });
      });
      this.ctx.events.record('forge.skill.verified', {
        userId: certificate.learnerId,
        certificateId: certificate.certificateId,
        granted: slugs,
        newlyVerified: verified,
      });
    });
  }
}
