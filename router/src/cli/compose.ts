/** `npm run compose`: supergraph.yaml → supergraph.graphql + api-schema.graphql. Fails on errors and unaccepted hints. */
import { relative } from 'node:path';
import { composeRepo, REPO_ROOT, writeComposedFiles } from '../repo-composition';

try {
  const composed = composeRepo();
  for (const hint of composed.unacceptedHints) console.error(`hint ${hint.code}: ${hint.message}`);
  const written = writeComposedFiles(composed);
  console.log(
    written.length ? `wrote ${written.map((p) => relative(REPO_ROOT, p)).join(', ')}` : 'composed files are up to date',
  );
  if (composed.unacceptedHints.length > 0) {
    console.error(
      'composition produced hints nobody accepted: fix them, or add them to router/accepted-composition-hints.json',
    );
    process.exit(1);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
