import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../../router/src/repo-composition';

export interface ChildRun {
  child: ChildProcess;
  /** What it printed so far, stdout and stderr interleaved; and each alone. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
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
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited };
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
      const deadline = Date.now() + 60_000;
      while (
        (await fetch(`${base}/health`).then(
          (r) => r.status,
          () => 0,
        )) !== 200
      ) {
        if (run.child.exitCode !== null || run.child.signalCode !== null || Date.now() > deadline)
          throw new Error(`router did not start:\n${run.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}
