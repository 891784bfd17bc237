import { join } from 'node:path';
import { defineSubgraph, loadTypeDefs, problemsOf, type SubgraphContext } from '@azora/kit';
import { loadAegisConfig } from './config';
import { seedDemoData } from './demo-data';
import { ApiKey } from './entities/api-key.entity';
import { OAuthClient } from './entities/oauth-client.entity';
import { Session } from './entities/session.entity';
import { SignInThrottle } from './entities/sign-in-throttle.entity';
import { SigningKey } from './entities/signing-key.entity';
import { User } from './entities/user.entity';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { RoleService } from './roles.service';
import { aegisRoutes } from './routes';
import type { AegisRuntime } from './runtime';
import { SigningKeys } from './signing-keys';
export type { AegisContext as Context } from './context';

/** Azora Aegis: people, roles and credentials; issues tokens and serves the JWKS. */
export const aegis = defineSubgraph({
  name: 'aegis',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  permissions,
  entities: [User, Session, SigningKey, ApiKey, OAuthClient, SignInThrottle],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  checkEnv: (env, nodeEnv) => problemsOf(() => loadAegisConfig(env, nodeEnv)),
  async setup({ orm, log, env, nodeEnv, verifyAssertion }) {
    const config = loadAegisConfig(env, nodeEnv);
    const runtime: AegisRuntime = { orm, config, keys: new SigningKeys(orm, config), verifyAssertion };
    await runtime.keys.ensureKey();
    if (config.AZORA_ADMIN_EMAIL && config.AZORA_ADMIN_PASSWORD) {
      await new RoleService(orm.em.fork()).bootstrapAdmin(config.AZORA_ADMIN_EMAIL, config.AZORA_ADMIN_PASSWORD, log);
    }
    return {
      context: (_base: SubgraphContext<unknown>) => ({ aegis: runtime, signedIn: {} }),
      routes: aegisRoutes(runtime),
    };
  },
});
