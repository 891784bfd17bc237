import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../../router/src/repo-composition';
import { until } from './waiting';

export interface ChildRun {
  child: ChildProcess;
  /** What it printed so far, stdout and stderr interleaved; and each alone. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once it has printed `text`; rejects with what it printed if it exits first or `timeoutMs` passes. */
  printed(text: string, timeoutMs?: number): Promise<void>;
}

/** Starts a command in the repository root the way an operator would, capturing what it prints. */
export function runInRepo(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildRun {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => ((stdout += chunk), (output += chunk)));
  child.stderr!.on('data', (chunk) => ((stderr += chunk), (output += chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = (text: string, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!output.includes(text)) return;
        done();
        resolve();
      };
      const fail = (why: string) => {
        done();
        reject(new Error(`${why} before printing "${text}":\n${output}`));
      };
      const onExit = (code: number | null) => fail(`exited with ${code}`);
      const timer = setTimeout(() => fail(`${timeoutMs} ms passed`), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        child.off('exit', onExit);
      };
      // Listeners added after the capturing ones, so `output` already holds the chunk when `check` runs.
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', onExit);
      check();
      if (child.exitCode !== null) fail(`exited with ${child.exitCode}`);
    });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited, printed };
}

export interface RouterProcess extends ChildRun {
  /** `http://127.0.0.1:<port>/graphql`. */
  url: string;
  /** Resolves once `/health` answers 200 (listening); rejects with what the process printed if it exits or takes over 60 s. */
  listening(): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** The router as an operator runs it, `tsx router/src/main.ts ...args`, on `port` with this environment. */
export function runRouterProcess(args: string[], port: number, env: NodeJS.ProcessEnv): RouterProcess {
  const run = runInRepo(process.execPath, ['--import', 'tsx', 'router/src/main.ts', ...args], {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    APOLLO_TELEMETRY_DISABLED: 'true',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    ...run,
    url: `${base}/graphql`,
    async listening() {
      await until(
        'the router answers /health',
        async () => {
          if (run.child.exitCode !== null || run.child.signalCode !== null)
            throw new Error(`router did not start:\n${run.output()}`);
          return (
            (await fetch(`${base}/health`).then(
              (r) => r.status,
              () => 0,
            )) === 200
          );
        },
        60_000,
      ).catch((error: Error) => {
        throw error.message.startsWith('timed out') ? new Error(`${error.message}:\n${run.output()}`) : error;
      });
    },
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}
