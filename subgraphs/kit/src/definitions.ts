import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SubgraphDefinition } from './definition';

/** The repository's `subgraphs/` folder (this file is subgraphs/kit/src/definitions.ts). */
export const SUBGRAPHS_DIR = resolve(__dirname, '..', '..');

const SUBGRAPH_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A subgraph's definition by the repository's convention: `subgraphs/<name>/src/schema.ts` exports it as `<name>`.
 * Tools that work on any subgraph (migrations, backup, the test platform) find it this way from supergraph.yaml.
 */
export function loadSubgraphDefinition(name: string): SubgraphDefinition {
  const file = join(SUBGRAPHS_DIR, name, 'src', 'schema.ts');
  if (!SUBGRAPH_NAME.test(name) || name === 'kit' || !existsSync(file))
    throw new Error(`no subgraph "${name}" (${file})`);
  // Loaded on demand, by name: a tool needs only the subgraphs it names.
  const definition = (createRequire(__filename)(file) as Record<string, SubgraphDefinition>)[name];
  if (!definition) throw new Error(`${file} must export the subgraph definition as \`${name}\``);
  return definition;
}
