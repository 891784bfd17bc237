import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const configSchema = z.object({
  federation_version: z.string().optional(),
  subgraphs: z.record(
    z.string().regex(/^[a-z][a-z0-9_]*$/, 'subgraph names are lower-case identifiers'),
    z.object({
      routing_url: z.string().url(),
      schema: z.object({ file: z.string() }),
    }),
  ),
});

export interface SubgraphEntry {
  name: string;
  url: string;
  /** Absolute path of the subgraph's SDL file. */
  schemaFile: string;
}

/** Reads a rover-format `supergraph.yaml`; schema paths are resolved against the file's folder. */
export function readSupergraphConfig(path: string): SubgraphEntry[] {
  const parsed = configSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${path} is not a valid supergraph config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const base = dirname(resolve(path));
  return Object.entries(parsed.data.subgraphs).map(([name, entry]) => ({
    name,
    url: entry.routing_url,
    schemaFile: resolve(base, entry.schema.file),
  }));
}

/** The environment variable that overrides one subgraph's URL, e.g. AZORA_SUBGRAPH_MINT_URL. */
export const subgraphUrlVariable = (name: string): string => `AZORA_SUBGRAPH_${name.toUpperCase()}_URL`;

/** Applies AZORA_SUBGRAPH_<NAME>_URL overrides. */
export function withUrlOverrides<T extends { name: string; url: string }>(entries: T[], env: NodeJS.ProcessEnv): T[] {
  return entries.map((entry) => ({ ...entry, url: env[subgraphUrlVariable(entry.name)] ?? entry.url }));
}
