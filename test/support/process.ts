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
