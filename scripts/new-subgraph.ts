/**
 * `npm run new-subgraph <name>`: scaffolds a working subgraph in the kit's shape (LMS's, README "What the kit gives
 * every subgraph") and wires it in, so `npm test` passes straight after it with no other edit.
 *
 * It writes `subgraphs/<name>/` from the templates in scripts/new-subgraph/ (one entity owned by a person, its
 * service, resolvers, loaders, events, rules, demo data, a unit test and an integration test through the router),
 * appends the subgraph to supergraph.yaml on the next free port, then runs what derives everything else from those:
 * npm install, migrations for both dialects, generate, codegen, compose and the permissions table.
 * test/new-subgraph.e2e.test.ts scaffolds one into a copy of the repository and runs its suites there.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { readSupergraphConfig } from '../router/src/supergraph-config';

const ROOT = join(__dirname, '..');
const TEMPLATES = join(__dirname, 'new-subgraph');
const TEMPLATE_SUFFIX = '.tmpl';
/** The packages a subgraph's code imports; package.json declares them at the versions installed (the lockfile's). */
const DEPENDENCIES = ['@mikro-orm/core', '@mikro-orm/migrations', 'graphql', 'graphql-shield', 'zod'];
const FIRST_PORT = 4001;

// The name becomes a folder, a package (@azora/<name>), a DNS label (Compose service, Kubernetes objects) and a
// JavaScript identifier (the exported definition), so it must be all of those.
const NAME = /^[a-z][a-z0-9]{1,29}$/;
const RESERVED = new Set([
  ...['kit', 'router', 'sdk', 'web', 'testing', 'azora'],
  ...['await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do'],
  ...['else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in'],
  ...['instanceof', 'let', 'new', 'null', 'return', 'static', 'super', 'switch', 'this', 'throw', 'true', 'try'],
  ...['typeof', 'var', 'void', 'while', 'with', 'yield', 'implements', 'interface', 'package', 'private'],
  ...['protected', 'public'],
]);

class ScaffoldError extends Error {}

/** Refuses a name that cannot be a subgraph, or is one already. */
export function checkName(root: string, name: string | undefined): string {
  if (!name) throw new ScaffoldError('usage: npm run new-subgraph <name>   (e.g. npm run new-subgraph retail)');
  if (!NAME.test(name))
    throw new ScaffoldError(
      `"${name}": a subgraph name is 2 to 30 lower-case letters and digits, starting with a letter`,
    );
  if (RESERVED.has(name)) throw new ScaffoldError(`"${name}" is reserved; choose another name`);
  if (existsSync(join(root, 'subgraphs', name))) throw new ScaffoldError(`subgraphs/${name} exists already`);
  if (readSupergraphConfig(join(root, 'supergraph.yaml')).some((s) => s.name === name))
    throw new ScaffoldError(`supergraph.yaml lists "${name}" already`);
  return name;
}

/** The port after the highest one supergraph.yaml's routing URLs use. */
export function nextPort(root: string): number {
  const ports = readSupergraphConfig(join(root, 'supergraph.yaml')).map((s) => Number(new URL(s.url).port));
  return Math.max(FIRST_PORT - 1, ...ports) + 1;
}

/** Appends the subgraph's entry as text, so the file's comments and layout stay as they are. */
export function appendSupergraphEntry(root: string, name: string, port: number): void {
  const file = join(root, 'supergraph.yaml');
  const current = readFileSync(file, 'utf8');
  appendFileSync(
    file,
    `${current.endsWith('\n') ? '' : '\n'}  ${name}:\n    routing_url: http://127.0.0.1:${port}/graphql\n` +
      `    schema:\n      file: ./subgraphs/${name}/schema.graphql\n`,
  );
}

const templateFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? templateFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );

/** Writes `subgraphs/<name>/` from the templates; returns the paths written, relative to the root. */
export function writeSubgraph(root: string, name: string): string[] {
  const values: Record<string, string> = {
    __name__: name,
    __Name__: name[0]!.toUpperCase() + name.slice(1),
    ...Object.fromEntries(
      DEPENDENCIES.map((dep) => [
        `__dep:${dep}__`,
        JSON.parse(readFileSync(join(root, 'node_modules', dep, 'package.json'), 'utf8')).version as string,
      ]),
    ),
  };
  const placeholder = /__name__|__Name__|__dep:[^_]+__/g;
  const target = join(root, 'subgraphs', name);
  return templateFiles(TEMPLATES).map((template) => {
    if (!template.endsWith(TEMPLATE_SUFFIX)) throw new Error(`${template}: templates end in ${TEMPLATE_SUFFIX}`);
    const path = join(target, relative(TEMPLATES, template).slice(0, -TEMPLATE_SUFFIX.length));
    const text = readFileSync(template, 'utf8').replace(placeholder, (key) => {
      if (!(key in values)) throw new Error(`${template}: unknown placeholder ${key}`);
      return values[key]!;
    });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return relative(root, path);
  });
}

/** Whether PostgreSQL answers (migrations are made for both dialects, the PostgreSQL one against a scratch database). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(3_000);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function step(root: string, title: string, command: string, args: string[]): void {
  console.log(`\n==> ${title}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new ScaffoldError(`${title} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
}

async function main(): Promise<void> {
  const root = ROOT;
  const name = checkName(root, process.argv[2]);
  // The same server the migrations CLI uses; checked before anything is written, so a refusal leaves no trace.
  const server = new URL(process.env.AZORA_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432');
  const pgPort = Number(server.port || 5432);
  if (!(await reachable(server.hostname, pgPort)))
    throw new ScaffoldError(
      `PostgreSQL is not reachable at ${server.hostname}:${pgPort}; migrations are made for both dialects, so start it ` +
        '(or set AZORA_DATABASE_URL) and run this again',
    );

  const port = nextPort(root);
  console.log(`==> subgraphs/${name}/ from scripts/new-subgraph/`);
  for (const path of writeSubgraph(root, name)) console.log(`    ${path}`);
  appendSupergraphEntry(root, name, port);
  console.log(`==> supergraph.yaml: ${name} on http://127.0.0.1:${port}/graphql`);

  step(root, 'workspace link and lockfile', 'npm', ['install', '--no-audit', '--no-fund']);
  step(root, 'migrations for SQLite and PostgreSQL', 'npm', ['run', 'migrations:create', '-w', `subgraphs/${name}`]);
  step(root, 'per-subgraph files', 'npm', ['run', 'generate']);
  step(root, 'resolver types and the SDK', 'npm', ['run', 'codegen']);
  step(root, 'supergraph', 'npm', ['run', 'compose']);
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
  if (scripts['docs:permissions']) step(root, 'permissions table', 'npm', ['run', 'docs:permissions']);
  // The templates' lines are as long as the name makes them: format them as `npm run lint` expects.
  step(root, 'format', 'npx', ['prettier', '--write', '--log-level', 'warn', `subgraphs/${name}`]);

  const Name = name[0]!.toUpperCase() + name.slice(1);
  console.log(`
Subgraph ${name} is ready on port ${port}: \`npm test\` passes as it is. Now write your domain:
  subgraphs/${name}/schema.graphql            types and fields, each described; every root field with its access
  subgraphs/${name}/src/entities/             the entities (${Name}Item is the example to rename or replace)
  subgraphs/${name}/src/item.service.ts       the rules; resolvers only call services
  subgraphs/${name}/src/resolvers/index.ts    one line per field: ctx.services.<service>.<method>(...)
  subgraphs/${name}/src/permissions.ts        object-level rules (whose item is it?)
  subgraphs/${name}/src/events.ts             what it records, with payload schemas
  subgraphs/${name}/src/loaders.ts, src/demo-data.ts, test/, package.json (its description)
Then: npm run migrations:create -w subgraphs/${name} (after entity changes), npm run codegen, npm run compose.
A deviation from the deployment template (replicas, secrets, environment) goes in subgraphs/${name}/generate.yaml.`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof ScaffoldError ? `new-subgraph: ${error.message}` : error);
    process.exit(1);
  });
}
