/** What the benches do with the processes they measure: start them, read their CPU time and memory (Linux /proc). */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..');

/**
 * Starts `node --import tsx <args>` in the repository; its first stdout line is returned. With `logFile`, stdout goes
 * to that file instead (a router logging every request must not make the load generator read its logs, which would
 * slow only that router).
 */
export function spawnService(
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile?: string,
  nodeArgs: string[] = [],
): { child: ChildProcess; firstLine: Promise<string> } {
  const stdout = logFile ? openSync(logFile, 'a') : 'pipe';
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'inherit'],
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    if (!logFile) {
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        resolve(line);
        lines.close();
        child.stdout!.resume(); // keep draining, without splitting lines nobody reads
      });
    }
  });
  firstLine.catch(() => undefined);
  return { child, firstLine };
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime and stime: fields 14 and 15 of proc(5)
}

/** CPU time (user + system, all threads) this process has used so far, in ms, from `process.cpuUsage()` (µs). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU time the whole machine has been busy so far, summed over its cores, in ms, from the first `cpu` line of
 * /proc/stat (clock ticks of 10 ms): user, nice, system, irq and softirq (fields 1–3, 6 and 7). Idle and iowait are
 * not busy; steal (field 8) is time the hypervisor gave to others, not work done here; guest and guest_nice are left
 * out, as user and nice already count them.
 */
export function machineBusyMs(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 8).map(Number);
  const [user, nice, system, , , irq, softirq] = ticks;
  return (user! + nice! + system! + irq! + softirq!) * 10;
}

/** A process's resident memory, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
