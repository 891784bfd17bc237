import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type express from 'express';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, shield, type IRules } from 'graphql-shield';
import { nodeEnvSchema, type NodeEnv } from './config';
import { ProcessedEvent, type EventConsumer } from './consumers';
import type { EntityDefinition, Orm, SqlEntityManager } from './database';
import type { ErrorCodes } from './errors';
import {
  eventRecorder,
  InProcessEventBus,
  OutboxEvent,
  type EventBus,
  type EventCatalog,
  type EventRecorder,
} from './events';
import type { Identity } from './identity';
import { createLogger, type Logger } from './logger';
import { newId } from './ids';

/** What every resolver, rule and service of every subgraph receives. Everything in it lives for one request only. */
export interface SubgraphContext<Loaders = unknown> {
  requestId: string;
  log: Logger;
  /** The caller, as the router verified and asserted it. */
  identity: Identity;
  /** The event bus: subscriptions read their live events from it. */
  bus: EventBus;
  /** This request's own identity map. Services use it; resolvers never do. */
  em: SqlEntityManager;
  loaders: Loaders;
}

/** A subgraph's services by name: classes the kit builds per request with `new Service(ctx)`. */
export type ServiceClasses = Record<string, { prototype: object }>;

/**
 * What a subgraph's request context is made of. `ContextOf<typeof recipe>` is the context type its resolvers, rules
 * and services receive (codegen's `contextType` is `src/schema.ts#Context`).
 */
export interface ContextRecipe<
  Loaders,
  Events extends EventCatalog,
  Services extends ServiceClasses,
  Config,
  Runtime = undefined,
> {
  /** Builds this request's DataLoaders (see `byId`, `oneByKey`, `manyByKey`). Called per request, never shared. */
  loaders?: (em: SqlEntityManager) => Loaders;
  /** The events the subgraph records, by type: `ctx.events.record(type, payload)` validates against them. */
  events?: Events;
  /** The subgraph's services, built per request as `ctx.services.<name>`; each gets the whole context. */
  services?: Services;
  /** Reads the subgraph's own settings once at start-up (`ctx.config`); what it throws is a start-up problem. */
  config?: (env: NodeJS.ProcessEnv, nodeEnv: NodeEnv) => Config;
  /**
   * Builds the subgraph's process-wide state once at start-up, after migrations (e.g. Aegis's signing keys):
   * `ctx.runtime`. Per-request state belongs in a service instead (services are built per request).
   */
  runtime?(deps: SetupDeps & { config: Config }): Promise<Runtime>;
}

/** The request context a recipe makes: the kit's parts, the loaders, `events`, `services`, `config`, `runtime`. */
export type RequestContext<
  Loaders,
  Events extends EventCatalog,
  Services extends ServiceClasses,
  Config,
  Runtime = undefined,
> = SubgraphContext<Loaders> & {
  events: EventRecorder<Events>;
  services: { [Name in keyof Services]: Services[Name]['prototype'] };
  config: Config;
  runtime: Runtime;
};

/** The context type of a recipe (`subgraphContext(...)`) or of a definition. */
export type ContextOf<T> =
  T extends SubgraphDefinition<infer Recipe>
    ? ContextOf<Recipe>
    : T extends ContextRecipe<infer Loaders, infer Events, infer Services, infer Config, infer Runtime>
      ? RequestContext<Loaders, Events, Services, Config, Runtime>
      : never;

/**
 * Declares what a subgraph's request context is made of, in `src/schema.ts` before the definition, so that
 * `export type Context = ContextOf<typeof context>` can be inferred without the resolvers (which use it).
 */
export function subgraphContext<
  Loaders = Record<string, never>,
  Events extends EventCatalog = Record<string, never>,
  Services extends ServiceClasses = Record<string, never>,
  Config = undefined,
  Runtime = undefined,
>(
  recipe: ContextRecipe<Loaders, Events, Services, Config, Runtime>,
): ContextRecipe<Loaders, Events, Services, Config, Runtime> {
  return recipe;
}

type AnyRecipe = ContextRecipe<unknown, EventCatalog, ServiceClasses, unknown, unknown>;

/** A domain subgraph: the contract plus the code behind it. The kit supplies everything else. */
export interface SubgraphDefinition<Recipe extends AnyRecipe = AnyRecipe> {
  name: string;
  typeDefs: DocumentNode;
  /** The resolver map, typed per subgraph by its generated `Resolvers`. Every resolver only calls `ctx.services`. */
  resolvers: object;
  entities: EntityDefinition[];
  /** The subgraph's `src/migrations` folder. */
  migrationsDir: string;
  /** Loaders, events, services and config of the request context (`subgraphContext(...)`). */
  context?: Recipe;
  /** The subgraph's own domain error codes (`errorCodes(...)`): they pass its masking, marked `declaredBy`. */
  errorCodes?: ErrorCodes;
  /**
   * Fills an empty database with demo data (development only). Must be a no-op on a non-empty database. `as` gives
   * the request context of a caller, so the demo is made through the services.
   */
  seedDemoData?(em: SqlEntityManager, log: Logger, as: (identity: Identity) => ContextOf<Recipe>): Promise<void>;
  /**
   * Object-level graphql-shield rules (those that need the parent object). Whole-field access is an access directive in
   * the SDL, which the router enforces deny-by-default; here anything without a rule is allowed, and `_service`/`_entities` always are.
   */
  permissions?: IRules | Record<string, unknown>;
  /**
   * Reactions to other domains' events, each handled once per event (de-duplicated, in one transaction). Those that
   * need the subgraph's settings come from `setup` instead (`SubgraphExtension.consumers`).
   */
  consumers?: EventConsumer[];
  /** Problems with the subgraph's own settings, reported at start-up together with the kit's (default: `config`'s). */
  checkEnv?: (env: NodeJS.ProcessEnv, nodeEnv: NodeEnv) => string[];
  /** Runs once after migrations (and after `context.runtime`): adds HTTP routes, consumers or a stop step. */
  setup?(deps: SetupDeps & SetupContext<ContextOf<Recipe>>): Promise<SubgraphExtension>;
}

export interface SetupDeps {
  orm: Orm;
  log: Logger;
  env: NodeJS.ProcessEnv;
  nodeEnv: NodeEnv;
  /** Verifies a router-signed identity assertion (for the subgraph's own HTTP routes). */
  verifyAssertion(token: string): Promise<Identity>;
  bus: EventBus;
}

/**
 * What `setup` gets of the running subgraph's own context: the settings and runtime every request sees (one copy per
 * process, not a second reading), and `as(identity)`, a request context of that caller on a fresh identity map, so
 * start-up work, HTTP routes and consumers go through the services as a request would.
 */
export interface SetupContext<Context extends { config: unknown; runtime: unknown }> {
  config: Context['config'];
  runtime: Context['runtime'];
  as(identity: Identity): Context;
}

export interface SubgraphExtension {
  /** Extra HTTP routes beside `/graphql` (e.g. Aegis's JWKS). They are not behind the identity assertion. */
  routes?: (app: express.Express) => void;
  /** Consumers built with what `setup` read (e.g. the subgraph's settings), started beside the definition's own. */
  consumers?: EventConsumer[];
  stop?: () => Promise<void>;
}

/** Identity function that lets TypeScript infer the definition's types once. */
export function defineSubgraph<Recipe extends AnyRecipe = AnyRecipe>(
  definition: SubgraphDefinition<Recipe>,
): SubgraphDefinition<Recipe> {
  return definition;
}

/** The subgraph's settings as `ctx.config` shows them (undefined without `context.config`). */
export function subgraphConfig<Recipe extends AnyRecipe>(
  definition: SubgraphDefinition<Recipe>,
  env: NodeJS.ProcessEnv = process.env,
): ContextOf<Recipe>['config'] {
  const nodeEnv = nodeEnvSchema.safeParse(env.NODE_ENV).data ?? 'development';
  return definition.context?.config?.(env, nodeEnv);
}

export interface RequestParts {
  em: SqlEntityManager;
  identity: Identity;
  requestId?: string;
  log?: Logger;
  bus?: EventBus;
  /** The subgraph's settings, read once at start-up (default: read from process.env now). */
  config?: unknown;
  /** The subgraph's process-wide state (`context.runtime`), made once at start-up. */
  runtime?: unknown;
}

/**
 * One request's context: the kit's parts, the subgraph's loaders, `events` bound to its name, its `config`, and its
 * services, each built with this same context. The server makes one per request (one per subscribe); tests and demo
 * data make one per caller to go through the services as a request would.
 */
export function requestContext<Recipe extends AnyRecipe>(
  definition: SubgraphDefinition<Recipe>,
  parts: RequestParts,
): ContextOf<Recipe> {
  const requestId = parts.requestId ?? newId();
  const recipe: AnyRecipe = definition.context ?? {};
  const base: SubgraphContext<unknown> = {
    requestId,
    log: (parts.log ?? createLogger(definition.name)).child({ requestId }),
    identity: parts.identity,
    bus: parts.bus ?? inProcessBus(),
    em: parts.em,
    loaders: recipe.loaders?.(parts.em) ?? {},
  };
  const services: Record<string, object> = {};
  const context = {
    ...base,
    events: eventRecorder(definition.name, (recipe.events ?? {}) as EventCatalog, parts.em),
    config: 'config' in parts ? parts.config : subgraphConfig(definition),
    runtime: parts.runtime,
    services,
  };
  for (const [name, Service] of Object.entries((recipe.services ?? {}) as ServiceClasses)) {
    services[name] = new (Service as unknown as new (ctx: object) => object)(context);
  }
  return context as ContextOf<Recipe>;
}

/** The subgraph's entities plus the kit's own tables (the outbox), as migrations and the ORM see them. */
export function subgraphEntities(definition: SubgraphDefinition): EntityDefinition[] {
  return [...definition.entities, OutboxEvent, ProcessedEvent];
}

let processBus: EventBus | undefined;
/** The embedded default bus, shared by everything in this process. */
export function inProcessBus(): EventBus {
  return (processBus ??= new InProcessEventBus());
}

/** Reads a subgraph's `schema.graphql`, the contract composition reads too. */
export function loadTypeDefs(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}

/** The executable federated schema of a subgraph, with its shield. Never listens. */
export function buildSchema(definition: SubgraphDefinition): GraphQLSchema {
  const schema = buildSubgraphSchema([
    { typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> },
  ]);
  if (!definition.permissions) return schema;
  const rules = definition.permissions as Record<string, Record<string, unknown>>;
  return applyMiddleware(
    schema,
    shield({ ...rules, Query: { ...rules.Query, _service: allow, _entities: allow } } as IRules, {
      fallbackRule: allow,
      allowExternalErrors: true,
    }),
  );
}
