import { join } from 'node:path';
import {
  defineSubgraph,
  loadTypeDefs,
  requestContext,
  subgraphContext,
  type ContextOf,
  type Logger,
  type SqlEntityManager,
} from '@azora/kit';
import { contractSagaConsumer, FORGE_ITSELF, skillsConsumer } from './consumers';
import { ContractService } from './contract.service';
import { seedDemoData } from './demo-data';
import { Contract } from './entities/contract.entity';
import { Application, Job, JobSkill } from './entities/job.entity';
import { Skill, SkillGrant, UserSkill } from './entities/skill.entity';
import { forgeEvents } from './events';
import { JobService } from './job.service';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { DEFAULT_SKILLS, SkillService } from './skill.service';
export { forgeEvents } from './events';

/** What a Forge request's context is made of: its loaders, the events it records, and its services. */
const context = subgraphContext({
  loaders: createLoaders,
  events: forgeEvents,
  services: { skills: SkillService, jobs: JobService, contracts: ContractService },
});

/** What every Forge resolver, rule and service receives (codegen's `contextType`). */
export type Context = ContextOf<typeof context>;

/** Azora Forge: the skills marketplace — skills, jobs, applications, and contracts paid through Mint escrow. */
export const forge = defineSubgraph({
  name: 'forge',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  context,
  resolvers,
  permissions,
  entities: [Skill, UserSkill, SkillGrant, Job, JobSkill, Application, Contract],
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  consumers: [skillsConsumer(consumerContext), contractSagaConsumer(consumerContext)],
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

/**
 * The context a consumer handles one event in: its transaction as `em`, and Forge itself as the identity (no caller:
 * the event is the cause). Consumers go through the services, as requests do.
 */
function consumerContext(em: SqlEntityManager, log: Logger): Context {
  return requestContext(forge, { em, log, identity: FORGE_ITSELF });
}
