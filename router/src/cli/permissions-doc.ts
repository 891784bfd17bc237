/** `npm run docs:permissions`: regenerates the roles table in README.md from the composed supergraph's directives. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { permissionTable, withTable } from '../auth/permission-table';
import { policyOfSupergraph } from '../auth/supergraph-policy';
import { API_SCHEMA_FILE, REPO_ROOT, SUPERGRAPH_FILE } from '../repo-composition';

async function main() {
  const readmePath = join(REPO_ROOT, 'README.md');
  const policy = policyOfSupergraph(readFileSync(SUPERGRAPH_FILE, 'utf8'));
  const table = await permissionTable(buildSchema(readFileSync(API_SCHEMA_FILE, 'utf8')), policy);
  writeFileSync(readmePath, withTable(readFileSync(readmePath, 'utf8'), table));
  console.log('README.md permissions table updated');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
