import type { ReactNode } from 'react';
import { MorePages, type MorePagesProps } from './cursor-pages';

/**
 * A list of cards, and its empty-state text once loaded. For a cursor-paged list, `items` is the first page
 * (`useCursorPage`) and `more` brings the pages after it, each on request.
 */
export function CardList<
  T extends { id: string },
  TData = unknown,
  TVariables extends { first?: number | null; after?: string | null } = {
    first?: number | null;
    after?: string | null;
  },
>(props: {
  label: string;
  items: readonly T[];
  loaded: boolean;
  empty: ReactNode;
  card: (item: T) => ReactNode;
  more?: Omit<MorePagesProps<TData, TVariables, T>, 'item'>;
}) {
  const { label, items, loaded, empty, card, more } = props;
  return (
    <>
      {loaded && items.length === 0 && <p>{empty}</p>}
      {items.length > 0 && (
        <ul className="cards" aria-label={label}>
          {items.map(card)}
          {more && <MorePages {...more} item={card} />}
        </ul>
      )}
    </>
  );
}
