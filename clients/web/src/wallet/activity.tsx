import {
  AccountActivityDocument,
  AccountEntriesDocument,
  type AccountSummaryFragment,
  type LedgerEntryFieldsFragment,
} from '@azora/sdk';
import { useEffect, useRef, type ReactNode } from 'react';
import { useQuery, useSubscription } from 'urql';
import { LiveStatus } from '../ui/live-status';
import { ErrorNotice, Loading } from '../ui/status';
import { formatMoney } from './money';

type Entry = LedgerEntryFieldsFragment;

/** The shown account's ledger entries, newest first, with new ones arriving live by subscription. It never polls. */
export function Activity({ account, onLiveEntry }: { account: AccountSummaryFragment; onLiveEntry: () => void }) {
  // The handler is urql's reducer (it may run twice under StrictMode): it only accumulates, newest first.
  const [subscription] = useSubscription(
    { query: AccountActivityDocument, variables: { accountId: account.id } },
    (previous: Entry[] = [], event) => [event.accountActivity, ...previous],
  );
  const live = subscription.data ?? [];
  const latest = live[0];
  // Each new entry changes a balance: the wallet asks the ledger again.
  useEffect(() => {
    if (latest) onLiveEntry();
  }, [latest?.id]);
  return (
    <ActivityList account={account} live={live}>
      <LiveStatus subscription={subscription}>new payments appear here as they happen.</LiveStatus>
      <p className="visually-hidden" aria-live="polite">
        {latest ? `${describe(latest)} ${formatMoney(latest.amount)}` : ''}
      </p>
    </ActivityList>
  );
}

function ActivityList({
  account,
  live,
  children,
}: {
  account: AccountSummaryFragment;
  live: Entry[];
  children: ReactNode;
}) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: AccountEntriesDocument,
    variables: { accountId: account.id, first: 20 },
    requestPolicy: 'network-only',
  });
  // The account's version counts its entries: when the wallet sees it change (a payment sent from this page, a
  // deposit noticed on refresh), the list is fetched again.
  const seenVersion = useRef(account.version);
  useEffect(() => {
    if (seenVersion.current === account.version) return;
    seenVersion.current = account.version;
    refetch({ requestPolicy: 'network-only' });
  }, [account.version, refetch]);
  const entries = newestFirst(live, data?.account?.entries.edges.map((edge) => edge.node) ?? []);
  return (
    <section aria-labelledby="activity-heading" className="panel activity">
      <h2 id="activity-heading">Activity · {account.currency}</h2>
      {children}
      {fetching && !data && <Loading>Loading activity…</Loading>}
      {error && <ErrorNotice error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {data && entries.length === 0 && <p>No activity yet.</p>}
      {entries.length > 0 && (
        <ol className="entries" aria-label={`${account.currency} account activity, newest first`}>
          {entries.map((entry) => (
            <EntryItem key={entry.id} entry={entry} />
          ))}
        </ol>
      )}
    </section>
  );
}

/** Live and fetched entries together, each once (a refetch after a reconnect overlaps the live ones). */
function newestFirst(live: Entry[], fetched: Entry[]): Entry[] {
  const byId = new Map<string, Entry>();
  for (const entry of [...live, ...fetched]) byId.set(entry.id, entry);
  return [...byId.values()].sort((a, b) => b.accountVersion - a.accountVersion);
}

function describe(entry: Entry): string {
  const credit = entry.direction === 'CREDIT';
  switch (entry.transfer.kind) {
    case 'DEPOSIT':
      return 'Deposit';
    case 'WITHDRAWAL':
      return 'Withdrawal';
    case 'TRANSFER':
      return credit ? 'Received' : 'Sent';
    case 'HOLD':
      return 'Held in escrow';
    case 'RELEASE':
      return credit ? 'Escrow paid to you' : 'Escrow released';
    case 'REFUND':
      return credit ? 'Escrow refunded' : 'Escrow refund';
  }
}

function EntryItem({ entry }: { entry: Entry }) {
  const credit = entry.direction === 'CREDIT';
  const counterpart =
    entry.transfer.kind === 'TRANSFER'
      ? credit
        ? `from ${entry.transfer.fromAccountId}`
        : `to ${entry.transfer.toAccountId}`
      : null;
  return (
    <li className={credit ? 'entry credit' : 'entry debit'}>
      <span className="entry-what">
        {describe(entry)}
        {counterpart && <span className="entry-counterpart"> {counterpart}</span>}
      </span>
      <span className="entry-amount">
        {credit ? '+' : '−'}
        {formatMoney(entry.amount)}
      </span>
      <span className="entry-details">
        {entry.transfer.memo && <span className="entry-memo">“{entry.transfer.memo}” · </span>}
        <time dateTime={entry.createdAt}>{new Date(entry.createdAt).toLocaleString()}</time>
      </span>
      <span className="entry-balance">Balance {formatMoney(entry.balanceAfter)}</span>
    </li>
  );
}
