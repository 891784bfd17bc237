import type { Logger } from '@azora/kit';
import type { RouterMetrics } from '../metrics';
import type { RouterSettings } from '../settings';
import { SharedFetches } from './in-flight';
import { SubgraphClient, type Answer } from './subgraph-client';

/**
 * One SubgraphClient per subgraph name, kept across supergraph reloads so breakers, pools and health survive a
 * schema swap. Replica URLs come from the overrides (AZORA_SUBGRAPH_<NAME>_URL, comma-separated) when set, otherwise
 * from the routing URL recorded in the supergraph.
 */
export class SubgraphPool {
  private readonly clients = new Map<string, SubgraphClient>();
  /** The subgraphs of the supergraph being served (a reload may drop some). */
  private current: string[] = [];
  /** One for all subgraphs: a caller's write to one subgraph stops them joining older fetches to any. */
  private readonly shared: SharedFetches<Answer>;

  constructor(
    private readonly settings: RouterSettings['resilience'],
    private readonly overrides: Record<string, string[]>,
    private readonly metrics: RouterMetrics,
    private readonly log: Logger,
  ) {
    // No fetch outlives its request's deadline; an attempt's timeout on top is the margin for a late timer.
    this.shared = new SharedFetches(settings.requestDeadlineMs + settings.subgraphTimeoutMs);
  }

  /** The client for a subgraph of the supergraph being loaded; its URLs follow the supergraph unless overridden. */
  client(name: string, routingUrl: string): SubgraphClient {
    const urls = this.overrides[name] ?? [routingUrl];
    let client = this.clients.get(name);
    if (!client) {
      client = new SubgraphClient(name, urls, this.settings, this.metrics, this.log, this.shared);
      client.startHealthChecks();
      this.clients.set(name, client);
    } else if (client.urls.join(',') !== urls.map((u) => new URL(u).href).join(',')) {
      client.setUrls(urls);
    }
    return client;
  }

  /** Records which subgraphs the served supergraph has (after a load or reload). */
  serve(subgraphs: { name: string; url: string }[]): void {
    for (const { name, url } of subgraphs) this.client(name, url);
    this.current = subgraphs.map((s) => s.name);
  }

  get served(): string[] {
    return this.current;
  }

  /** The first replica URL of a served subgraph. */
  urlOf(name: string): string | undefined {
    return this.current.includes(name) ? this.clients.get(name)?.urls[0] : undefined;
  }

  /** Probes every served subgraph now: a subgraph is up when one of its replicas is ready. */
  async readiness(): Promise<Record<string, boolean>> {
    const names = this.current;
    const up = await Promise.all(names.map((name) => this.clients.get(name)!.probe()));
    return Object.fromEntries(names.map((name, i) => [name, up[i]!]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}
