import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import type { Identity } from '@azora/kit';

/** What a member of a shared upstream receives: a result, the upstream's failure, or its end. */
export type FeedItem =
  | { kind: 'result'; result: FormattedExecutionResult<Record<string, unknown>, unknown> }
  | { kind: 'failure'; error: unknown }
  | { kind: 'end' };

/** One subscriber's view of a shared upstream. */
export interface FeedMember {
  /** The next item for this member; `end` once interrupted. */
  next(): Promise<FeedItem>;
  /** Ends this member's wait at once: its client left while no event was coming. */
  interrupt(): void;
  /** Leaves the upstream; the last member to leave stops it. */
  leave(): void;
}

/** Who the caller is, for sharing work between their subscriptions (never between different callers). */
export const fingerprint = (identity: Identity) =>
  JSON.stringify([identity.kind, identity.userId, [...identity.roles].sort(), [...identity.scopes].sort()]);

/**
 * One upstream subscription per (subgraph, operation, variables, caller), shared by every client socket that asks for
 * the same: thousands of screens watching one account cost one subscription to Mint. Each member has its own queue.
 */
export class SharedUpstreams {
  private readonly feeds = new Map<string, { members: Set<(item: FeedItem) => void>; stop: () => void }>();

  join(key: string, connect: () => Client, query: string, variables: Record<string, unknown>): FeedMember {
    let feed = this.feeds.get(key);
    if (!feed) {
      const client = connect();
      const events = client.iterate<Record<string, unknown>>({ query, variables });
      const members = new Set<(item: FeedItem) => void>();
      const broadcast = (item: FeedItem) => members.forEach((member) => member(item));
      let stopped = false;
      const created = {
        members,
        stop: () => {
          stopped = true;
          // A later subscriber with the same key starts a fresh upstream rather than joining one that is ending.
          if (this.feeds.get(key) === created) this.feeds.delete(key);
          void events.return?.();
        },
      };
      void (async () => {
        try {
          for (;;) {
            const next = await events.next();
            if (next.done || stopped) break;
            broadcast({ kind: 'result', result: next.value });
          }
          broadcast({ kind: 'end' });
        } catch (error) {
          broadcast({ kind: 'failure', error });
        } finally {
          if (this.feeds.get(key) === created) this.feeds.delete(key);
          await client.dispose();
        }
      })();
      feed = created;
      this.feeds.set(key, created);
    }
    const queue: FeedItem[] = [];
    let wake: (() => void) | undefined;
    const member = (item: FeedItem) => {
      queue.push(item);
      wake?.();
    };
    let interrupted = false;
    feed.members.add(member);
    const current = feed;
    return {
      next: async (): Promise<FeedItem> => {
        while (queue.length === 0 && !interrupted) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        return queue.shift() ?? { kind: 'end' };
      },
      interrupt: () => {
        interrupted = true;
        wake?.();
      },
      leave: () => {
        current.members.delete(member);
        if (current.members.size === 0) current.stop();
      },
    };
  }
}
