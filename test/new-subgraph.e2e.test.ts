/**
 * `npm run new-subgraph demo` in a copy of the repository, then the checks a new subgraph must pass, run there: the
 * type check and the suites it touches. A slow test (child processes; several minutes on 2 cores), hence `e2e`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../router/src/repo-composition';

const NAME = 'demo';
const MINUTES = 60_000;

/** Runs a command to its exit; resolves with its exit code and everything it printed. */
function run(cwd: string, command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=test', '-c', 'user.email=test@azora.test', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd,
      encoding: 'utf8',
    },
  );

/** The folders with a node_modules of their own: the root and any workspace npm could not hoist into it. */
function nodeModulesDirs(root: string): string[] {
  const workspaces = [
    'router',
    ...['subgraphs', 'clients'].flatMap((parent) => readdirSync(join(root, parent)).map((name) => `${parent}/${name}`)),
  ];
  return ['.', ...workspaces].filter((dir) => existsSync(join(root, dir, 'node_modules')));
}

/**
 * Copies the repository as a fresh clone plus its installed packages would be: tracked and untracked (not ignored)
 * files, and each node_modules as hard links (seconds, no disk). npm install in the copy then adds the new workspace.
 * npm rewrites node_modules/.package-lock.json in place and adds node_modules/@azora/<name>: those two are real
 * copies, so nothing written there reaches this tree. Every other package file npm replaces, it replaces by
 * unlinking and writing anew, which leaves this tree's link alone (the test checks that no linked file was written).
 */
function copyRepository(from: string, to: string): void {
  const files = git(from, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(from, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(from, file), join(to, file), { verbatimSymlinks: true });
  }
  for (const dir of nodeModulesDirs(from)) execFileSync('cp', ['-al', join(from, dir, 'node_modules'), join(to, dir)]);
  for (const own of ['.package-lock.json', '@azora']) {
    rmSync(join(to, 'node_modules', own), { recursive: true, force: true });
    execFileSync('cp', ['-a', join(from, 'node_modules', own), join(to, 'node_modules', own)]);
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Paths outside the new subgraph's folder that scaffolding may change: its supergraph.yaml entry and generated files. */
const GENERATED = [
  // npm install: the workspace's lockfile entry.
  'package-lock.json',
  // npm run generate.
  'codegen.yml',
  'docker/Dockerfile',
  'docker/compose.yaml',
  'docker/observability/prometheus.yml',
  'docker/kubernetes/base/kustomization.yaml',
  'docker/kubernetes/base/migrate-job.yaml',
  'docker/kubernetes/base/router.yaml',
  `docker/kubernetes/base/${NAME}.yaml`,
  // npm run compose.
  'supergraph.graphql',
  'api-schema.graphql',
  'docker/kubernetes/base/supergraph.graphql',
  // npm run docs:permissions: the README's roles table.
  'README.md',
];
/** npm run codegen: the SDK (its types follow the API schema). */
const GENERATED_SDK = /^clients\/sdk\/src\/generated\//;

describe('npm run new-subgraph', () => {
  let copy: string;
  let scaffold: { code: number | null; output: string };
  let marker: string;
  const realLockfile = join(REPO_ROOT, 'node_modules', '.package-lock.json');
  const realLockfileBefore = sha256(realLockfile);

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'azora-new-subgraph-'));
    copyRepository(REPO_ROOT, copy);
    git(copy, 'init', '--quiet');
    git(copy, 'add', '--all');
    git(copy, 'commit', '--quiet', '--message', 'before scaffolding');
    // Anything under node_modules written after this and still linked to this tree was written through to it.
    marker = join(copy, '.git', 'scaffold-started');
    writeFileSync(marker, '');
    scaffold = await run(copy, 'npm', ['run', 'new-subgraph', NAME]);
  }, 15 * MINUTES);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('scaffolds, runs every step and ends with what to write next', () => {
    expect({ code: scaffold.code, tail: scaffold.output.slice(-3000) }).toMatchObject({ code: 0 });
    expect(scaffold.output).toContain('Now write your domain:');
    for (const dialect of ['sqlite', 'postgresql']) {
      const migrations = readdirSync(join(copy, 'subgraphs', NAME, 'src', 'migrations', dialect));
      expect(migrations.filter((file) => /^Migration\d+\.ts$/.test(file))).toHaveLength(1);
    }
  });

  it('changes nothing outside its folder but one supergraph.yaml entry and generated files', () => {
    git(copy, 'add', '--all');
    const changed = git(copy, 'diff', '--cached', '--name-only').split('\n').filter(Boolean);
    const outside = changed.filter((path) => !path.startsWith(`subgraphs/${NAME}/`));
    expect(
      outside.filter((path) => path !== 'supergraph.yaml' && !GENERATED.includes(path) && !GENERATED_SDK.test(path)),
    ).toEqual([]);
    expect(outside).toEqual(expect.arrayContaining(['supergraph.yaml', 'codegen.yml', 'supergraph.graphql']));
    // supergraph.yaml: lines added (the entry), none changed or removed.
    expect(git(copy, 'diff', '--cached', '--numstat', 'supergraph.yaml').trim()).toBe('4\t0\tsupergraph.yaml');
    // README.md: rows of the permissions table only.
    const readme = git(copy, 'diff', '--cached', '--unified=0', 'README.md')
      .split('\n')
      .filter((line) => /^[-+](?![-+])/.test(line));
    for (const line of readme) expect(line).toMatch(/^\+\| `(Query|Mutation|Subscription)\.\w+` \|/);
  });

  it("never wrote through the hard links to this tree's node_modules", () => {
    expect(sha256(realLockfile)).toBe(realLockfileBefore);
    expect(existsSync(join(REPO_ROOT, 'node_modules', '@azora', NAME))).toBe(false);
    const dirs = nodeModulesDirs(copy).map((dir) => join(dir, 'node_modules'));
    const writtenThrough = execFileSync('find', [...dirs, '-type', 'f', '-links', '+1', '-newer', marker], {
      cwd: copy,
      encoding: 'utf8',
    });
    expect(writtenThrough).toBe('');
  });

  it(
    'type-checks and passes the suites a new subgraph touches',
    async () => {
      const tsc = await run(copy, 'npx', ['tsc', '-p', '.', '--noEmit']);
      expect({ code: tsc.code, output: tsc.output }).toEqual({ code: 0, output: '' });
      // Its own tests and the checks a new subgraph could break (generated files, codegen, composition). Not the whole
      // `npm test` in the copy: that would double CI's time for suites the new subgraph does not change.
      const jest = await run(copy, 'npx', [
        'jest',
        `subgraphs/${NAME}`,
        'test/generated.test.ts',
        'test/codegen.test.ts',
        'test/composition.test.ts',
      ]);
      expect({ code: jest.code, tail: jest.output.slice(-5000) }).toMatchObject({ code: 0 });
      expect(jest.output).toMatch(new RegExp(`PASS (?:\\w+ )?subgraphs/${NAME}/test/item\\.int\\.test\\.ts`));
      expect(jest.output).toMatch(new RegExp(`PASS (?:\\w+ )?subgraphs/${NAME}/test/item\\.service\\.test\\.ts`));
    },
    15 * MINUTES,
  );
});
