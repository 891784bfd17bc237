import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { parseSlugs, personId, recordEvent, type Identity, type SqlEntityManager } from '@azora/kit';
import { Skill, SkillGrant, UserSkill } from './entities/skill.entity';

export const SOURCE = 'forge';

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

/** A certificate LMS issued, as its `lms.certificate.issued` event tells it. */
export interface IssuedCertificate {
  certificateId: string;
  learnerId: string;
  skills: string[];
}

/** Skills: the catalogue and people's profiles (verified by certificates, or self-declared). */
export class SkillService {
  constructor(private readonly em: SqlEntityManager) {}

  catalogue(): Promise<Skill[]> {
    return this.em.find(Skill, {}, { orderBy: { name: 'asc' } });
  }

  /** Adds a self-declared skill to the caller's profile; one already there (either kind) is returned as it is. */
  async declare(caller: Identity, slugText: string): Promise<UserSkill> {
    const userId = personId(caller);
    const [slug] = parseSlugs([slugText], 'slug', 1) as [string];
    const existing = await this.em.findOne(UserSkill, { userId, skillSlug: slug });
    if (existing) return existing;
    try {
      return await this.em.transactional(async (em) => {
        await catalogueSkills(em, [slug]);
        const skill = em.create(UserSkill, {
          userId,
          skillSlug: slug,
          source: 'SELF_DECLARED',
          certificateId: null,
          since: new Date(),
        });
        recordEvent(em, SOURCE, {
          topic: 'forge.skill',
          type: 'forge.skill.declared',
          payload: { userId, skill: slug },
        });
        return skill;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        return this.em.fork().findOneOrFail(UserSkill, { userId, skillSlug: slug });
      throw error;
    }
  }

  /** Removes a self-declared skill; a verified one stays (a certificate proves it). */
  async retract(caller: Identity, slugText: string): Promise<boolean> {
    const userId = personId(caller);
    const [slug] = parseSlugs([slugText], 'slug', 1) as [string];
    return this.em.transactional(async (em) => {
      const removed = await em.nativeDelete(UserSkill, { userId, skillSlug: slug, source: 'SELF_DECLARED' });
      if (removed > 0)
        recordEvent(em, SOURCE, {
          topic: 'forge.skill',
          type: 'forge.skill.retracted',
          payload: { userId, skill: slug },
        });
      return removed > 0;
    });
  }

  /**
   * Verifies a certificate's skills on its learner's profile: new ones are added VERIFIED, self-declared ones become
   * VERIFIED, verified ones stay as they are. The certificate's grants are recorded either way.
   */
  async grant(certificate: IssuedCertificate): Promise<void> {
    const slugs = parseSlugs(certificate.skills, 'skills', 50);
    await this.em.transactional(async (em) => {
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
      recordEvent(em, SOURCE, {
        topic: 'forge.skill',
        type: 'forge.skill.verified',
        payload: {
          userId: certificate.learnerId,
          certificateId: certificate.certificateId,
          granted: slugs,
          newlyVerified: verified,
        },
      });
    });
  }
}
