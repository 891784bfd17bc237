import { z } from 'zod';
import { parseEnv, type EnvRule, type NodeEnv } from '@azora/kit';
import { ActiveKeyCache } from './signing-keys';

const DEV_ONLY = 'development-only-secret-never-used-in-production';

const aegisEnvSchema = z.object({
  /** The `iss` of every token; the router checks it. The public URL of the platform. */
  AZORA_ISSUER: z.string().url().default('http://localhost:4000'),
  AZORA_JWT_AUDIENCE: z.string().min(1).default('azora'),
  AEGIS_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  AEGIS_REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86400)
    .default(30 * 86400),
  /** Encrypts signing keys at rest. */
  AEGIS_KEY_ENCRYPTION_SECRET: z.string().min(32).default(DEV_ONLY),
  /** HMAC key for API-key and client-secret digests: a stolen table alone cannot check guesses. */
  AEGIS_SECRET_PEPPER: z.string().min(32).default(DEV_ONLY),
  AEGIS_SIGN_IN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  AEGIS_SIGN_IN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
  AEGIS_SIGN_IN_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(15 * 60),
  AZORA_ADMIN_EMAIL: z.string().email().optional(),
  AZORA_ADMIN_PASSWORD: z.string().optional(),
});
export type AegisConfig = z.infer<typeof aegisEnvSchema>;

/** Secrets have no default in production, and the admin bootstrap needs both of its variables. */
const aegisRules =
  (nodeEnv: NodeEnv): EnvRule =>
  (env) => [
    ...(nodeEnv === 'production'
      ? ['AEGIS_KEY_ENCRYPTION_SECRET', 'AEGIS_SECRET_PEPPER', 'AZORA_ISSUER']
          .filter((name) => !env[name])
          .map((name) => `${name}: required in production mode (no default)`)
      : []),
    ...(Boolean(env.AZORA_ADMIN_EMAIL) !== Boolean(env.AZORA_ADMIN_PASSWORD)
      ? ['AZORA_ADMIN_PASSWORD: AZORA_ADMIN_EMAIL and AZORA_ADMIN_PASSWORD go together']
      : []),
  ];

export function loadAegisConfig(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv): AegisConfig {
  return parseEnv(aegisEnvSchema, env, [aegisRules(nodeEnv)]);
}

/** `ctx.config`: Aegis's settings, and the one thing it keeps for as long as it runs. */
export type AegisRunningConfig = AegisConfig & {
  /**
   * The decrypted active signing key. The kit reads `config` once per start, so this cache lives as long as the
   * running Aegis (as the signing keys' in-memory key always did), shared by every request.
   */
  activeKey: ActiveKeyCache;
};

/** The kit's `context.config`: reads the settings (what it throws is a start-up problem) and makes the key cache. */
export function aegisConfig(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv): AegisRunningConfig {
  return { ...loadAegisConfig(env, nodeEnv), activeKey: new ActiveKeyCache() };
}
