/**
 * Polls `check` until it returns something truthy, and returns that; fails naming `what` after `timeoutMs`. A check that
 * costs the system under test work (a write per call) may ask to be polled less often with `intervalMs`.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A gate the test opens when it chooses: `opened` settles, with the value given to `open`, only then. Whatever awaits
 * it (a subgraph's answer, a fetch) waits for the test instead of on timing.
 */
export interface Gate<T = void> {
  opened: Promise<T>;
  open(value: T): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { opened, open };
}
