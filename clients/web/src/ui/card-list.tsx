import type { ReactNode } from 'react';

/** How many rows a paged list asks for at first and adds per "show more", and the server's page-size cap. */
export const PAGE = 20;
const MAX_PAGE = 100;

/**
 * A list of cards, empty-state text once loaded, and a "show more" button while the server says there is more.
 * `setFirst` is the page-size state the list's query reads.
 */
export function CardList<T extends { id: string }>(props: {
  label: string;
  items: readonly T[];
  loaded: boolean;
  empty: ReactNode;
  hasMore: boolean;
  fetching: boolean;
  moreLabel: string;
  setFirst: (update: (first: number) => number) => void;
  card: (item: T) => ReactNode;
}) {
  const { label, items, loaded, empty, hasMore, fetching, moreLabel, setFirst, card } = props;
  return (
    <>
      {loaded && items.length === 0 && <p>{empty}</p>}
      {items.length > 0 && (
        <ul className="cards" aria-label={label}>
          {items.map(card)}
        </ul>
      )}
      {hasMore && (
        <button type="button" className="secondary" disabled={fetching} onClick={() => setFirst((n) => Math.min(n + PAGE, MAX_PAGE))}>
          {fetching ? 'Loading…' : moreLabel}
        </button>
      )}
    </>
  );
}
