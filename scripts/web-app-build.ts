/**
 * Builds the web app (clients/web → clients/web/dist, which the router serves at `/`) when the build is missing or
 * was made from other sources. `npm start` and the browser test call it; `tsx scripts/web-app-build.ts` runs it alone.
 *
 * "Other sources" is decided by content, not timestamps (a checkout or a copy changes every mtime): a hash of the
 * app's and the SDK's files and the lockfile is written next to the build and compared.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../router/src/repo-composition';
import { WEB_APP_DIST } from '../router/src/web-app';

const WEB_DIR = join(REPO_ROOT, 'clients', 'web');
const INPUTS = [
  'clients/web/index.html',
  'clients/web/vite.config.mts',
  'clients/web/package.json',
  'clients/web/src',
  'clients/web/public',
  'clients/sdk/package.json',
  'clients/sdk/src',
  'package-lock.json',
];
const STAMP_FILE = '.build-inputs';
const LOCK_DIR = join(WEB_DIR, '.dist-lock');
const STALE_LOCK_MS = 5 * 60_000;

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** The hash of everything the build is made from. */
function webAppInputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(join(REPO_ROOT, input)))) {
    hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const builtFrom = () => {
  try {
    return readFileSync(join(WEB_APP_DIST, STAMP_FILE), 'utf8');
  } catch {
    return undefined;
  }
};

/** One builder at a time (npm start and a test may ask together): an atomic mkdir is the lock. */
async function exclusively<T>(task: () => Promise<T>): Promise<T> {
  for (const deadline = Date.now() + 2 * STALE_LOCK_MS; ;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A builder that died leaves its lock behind; builds take seconds, so an old lock is abandoned.
      if (Date.now() - statSync(LOCK_DIR, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS)
        rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK_DIR} is held by another build`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await task();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function viteBuild(outDir: string): Promise<void> {
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: WEB_DIR,
      // Whatever mode the caller runs in (jest sets `test`), the app is built for production: without this, React's
      // development build goes in.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))));
  });
}

/** Builds the web app unless the build in WEB_APP_DIST was made from the current sources. */
export async function ensureWebAppBuilt(): Promise<'up to date' | 'built'> {
  const inputs = webAppInputsHash();
  if (builtFrom() === inputs) return 'up to date';
  return exclusively(async () => {
    if (builtFrom() === inputs) return 'up to date'; // built by whoever held the lock
    // Built beside, then swapped in, so a router serving the old build never sees half a new one.
    const staging = join(WEB_DIR, `.dist-build-${process.pid}`);
    try {
      await viteBuild(staging);
      writeFileSync(join(staging, STAMP_FILE), inputs);
      rmSync(WEB_APP_DIST, { recursive: true, force: true });
      renameSync(staging, WEB_APP_DIST);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return 'built';
  });
}

if (require.main === module) {
  ensureWebAppBuilt().then(
    (outcome) => console.log(`web app ${outcome}: ${WEB_APP_DIST}`),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
