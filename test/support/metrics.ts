/**
 * One sample of a Prometheus metric from a process's `/metrics` (any URL of the process), by name and labels; undefined
 * when no such series is exported. Every series of ours carries a `service` or `subgraph` label, so the braces exist.
 */
export async function metricValue(
  processUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', processUrl))).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
