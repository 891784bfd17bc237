import { z } from 'zod';
import { parseEnv } from '@azora/kit';

const mintEnvSchema = z.object({
  /** The largest single amount, in major units of any currency. */
  AZORA_MINT_MAX_AMOUNT: z.coerce.number().int().min(1).max(1e12).default(1_000_000),
});
export type MintConfig = z.infer<typeof mintEnvSchema>;

export const loadMintConfig = (env: NodeJS.ProcessEnv): MintConfig => parseEnv(mintEnvSchema, env);
