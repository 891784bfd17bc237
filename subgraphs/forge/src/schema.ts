import { join } from 'node:path';
import { defineSubgraph, loadTypeDefs } from '@azora/kit';
import { contractSagaConsumer, skillsConsumer } from './consumers';
import { seedDemoData } from './demo-data';
import { Contract } from './entities/contract.entity';
import { Application, Job, JobSkill } from './entities/job.entity';
import { Skill, SkillGrant, UserSkill } from './entities/skill.entity';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { DEFAULT_SKILLS } from './skill.service';
export type { ForgeContext as Context } from './context';

/** Azora Forge: the skills marketplace — skills, jobs, applications, and contracts paid through Mint escrow. */
export const forge = defineSubgraph({
  name: 'forge',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  permissions,
  entities: [Skill, UserSkill, SkillGrant, Job, JobSkill, Application, Contract],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  consumers: [skillsConsumer, contractSagaConsumer],
  async setup({ orm }) {
    // The catalogue's well-known names; skills met later are added as they come.
    await orm.em.fork().upsertMany(
      Skill,
      DEFAULT_SKILLS.map((s) => ({ ...s })),
      { onConflictAction: 'ignore' },
    );
    return {};
  },
});
