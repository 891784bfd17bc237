/** `npm run docs:permissions`: regenerates the roles table in README.md from the rule tree. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { permissionTable, withTable } from '../auth/permission-table';
import { azoraPolicy } from '../auth/policy';
import { API_SCHEMA_FILE, REPO_ROOT } from '../repo-composition';

async function main() {
  const readmePath = join(REPO_ROOT, 'README.md');
  const table = await permissionTable(buildSchema(readFileSync(API_SCHEMA_FILE, 'utf8')), azoraPolicy);
  writeFileSync(readmePath, withTable(readFileSync(readmePath, 'utf8'), table));
  console.log('README.md permissions table updated');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
