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
    throw new Error(
      `${path} is not a valid supergraph config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
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

/**
 * Every AZORA_SUBGRAPH_<NAME>_URL override in the environment. A value may list several replicas of the subgraph,
 * comma-separated (`http://mint-1:4002/graphql,http://mint-2:4002/graphql`); the router balances across them.
 */
export function subgraphUrlsFromEnv(env: NodeJS.ProcessEnv): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(env).flatMap(([variable, value]) => {
      const name = /^AZORA_SUBGRAPH_([A-Z][A-Z0-9_]*)_URL$/.exec(variable)?.[1]?.toLowerCase();
      const urls = (value ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      return name && urls.length > 0 ? [[name, urls]] : [];
    }),
  );
}

/** Applies AZORA_SUBGRAPH_<NAME>_URL overrides; of a replica list, the first (`npm start` runs one of each). */
export function withUrlOverrides<T extends { name: string; url: string }>(entries: T[], env: NodeJS.ProcessEnv): T[] {
  const overrides = subgraphUrlsFromEnv(env);
  return entries.map((entry) => ({ ...entry, url: overrides[entry.name]?.[0] ?? entry.url }));
}
