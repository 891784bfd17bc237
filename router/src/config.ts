import { z } from 'zod';
import { privateKeyFromPem, type EnvRule } from '@azora/kit';
import type { RouterAuthOptions } from './router';
import { routerSettingsEnv, routerSettingsRules } from './settings';
import { DEFAULT_SUBSCRIPTION_LIMITS } from './subscriptions/server';

/** The router process's environment, parsed once at start-up: its settings (settings.ts) and the process's own. */
export const routerEnvSchema = routerSettingsEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AZORA_SUPERGRAPH_FILE: z.string().optional(),
  AZORA_SUPERGRAPH_CONFIG: z.string().optional(),
  /** A permission policy file for the supergraph served, or `permissive`; the supergraph's own access directives alone when unset. */
  AZORA_POLICY_FILE: z.string().min(1).optional(),
  /** Production mode accepts the permissive policy only with this set to `every-field-is-public`. */
  AZORA_CONFIRM_PERMISSIVE_POLICY: z.string().optional(),
  /** Signs identity assertions for subgraphs (Ed25519, PEM). No default: `npm start` generates a development pair. */
  AZORA_ROUTER_PRIVATE_KEY: z.string({ error: "required: the router's Ed25519 private key (PEM)" }).min(1),
  AZORA_ISSUER: z.string().url().default('http://localhost:4000'),
  AZORA_JWT_AUDIENCE: z.string().min(1).default('azora'),
  /** Further OIDC issuers whose access tokens are accepted, comma-separated. */
  AZORA_OIDC_ISSUERS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
  AZORA_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** WebSocket limits: open sockets per caller and per client address, subscriptions per socket, largest frame. */
  AZORA_WS_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(DEFAULT_SUBSCRIPTION_LIMITS.maxSocketsPerUser),
  AZORA_WS_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).default(DEFAULT_SUBSCRIPTION_LIMITS.maxSocketsPerIp),
  AZORA_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_SUBSCRIPTION_LIMITS.maxSubscriptionsPerSocket),
  AZORA_WS_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(DEFAULT_SUBSCRIPTION_LIMITS.maxPayloadBytes),
});

/** The rules across variables: production's requirements, and the settings' own (which hold in every mode). */
export const routerProductionRules: EnvRule = (env) => [
  ...(env.NODE_ENV === 'production' && !env.AZORA_ISSUER
    ? ['AZORA_ISSUER: required in production mode (no default)']
    : []),
  ...routerSettingsRules(env),
];

export type RouterEnv = z.infer<typeof routerEnvSchema>;

/** The WebSocket limits from the environment. */
export const subscriptionLimitsOf = (env: RouterEnv) => ({
  maxSocketsPerUser: env.AZORA_WS_MAX_SOCKETS_PER_USER,
  maxSocketsPerIp: env.AZORA_WS_MAX_SOCKETS_PER_IP,
  maxSubscriptionsPerSocket: env.AZORA_WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
  maxPayloadBytes: env.AZORA_WS_MAX_FRAME_BYTES,
});

/** How the router authenticates callers and signs their identity for subgraphs, from the environment. */
export const routerAuthOf = (env: RouterEnv): RouterAuthOptions => ({
  privateKey: privateKeyFromPem(env.AZORA_ROUTER_PRIVATE_KEY),
  issuer: env.AZORA_ISSUER,
  audience: env.AZORA_JWT_AUDIENCE,
  oidcIssuers: env.AZORA_OIDC_ISSUERS,
  apiKeyCacheMs: env.AZORA_API_KEY_CACHE_MS,
});
