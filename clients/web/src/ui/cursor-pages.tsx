import type { TypedDocumentNode } from '@azora/sdk';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useQuery, type UseQueryState } from 'urql';
import { ErrorNotice, Loading } from './status';

/**
 * How many rows a paged list asks for at a time. Each "show more" asks for the next page after the last one's
 * `endCursor` (the server caps a page at 100 rows, so growing `first` instead would stop there).
 */
export const PAGE_SIZE = 20;

type PageVariables = { first?: number | null; after?: string | null };

/** The part of a cursor connection paging reads. */
interface Connection<TNode> {
  edges: readonly { node: TNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A cursor-paged query: its document, its variables but `first` and `after` (the pages' own), and its connection. */
export interface PagedQuery<TData, TVariables extends PageVariables, TNode> {
  query: TypedDocumentNode<TData, TVariables>;
  variables: Omit<TVariables, 'first' | 'after'>;
  connection(data: TData): Connection<TNode>;
}

export interface CursorPage<TData, TNode> {
  result: UseQueryState<TData>;
  nodes: TNode[];
  /** The cursor the next page starts after; null on the last page. */
  next: string | null;
  /** Fetches this page again (after a change to one of its rows, or to retry). */
  refresh(): void;
}

const FRESH = { requestPolicy: 'network-only' } as const;

/** One page of a cursor-paged query: `PAGE_SIZE` rows after `after` (null: the first page), always from the server. */
export function useCursorPage<TData, TVariables extends PageVariables, TNode>(
  paged: PagedQuery<TData, TVariables, TNode>,
  after: string | null,
): CursorPage<TData, TNode> {
  const [result, refetch] = useQuery<TData, TVariables>({
    query: paged.query,
    variables: { ...paged.variables, first: PAGE_SIZE, after } as TVariables,
    ...FRESH,
  } as Parameters<typeof useQuery<TData, TVariables>>[0]);
  const connection = result.data ? paged.connection(result.data) : undefined;
  return {
    result,
    nodes: connection?.edges.map((edge) => edge.node) ?? [],
    next: connection?.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null,
    refresh: () => refetch(FRESH),
  };
}

export interface MorePagesProps<TData, TVariables extends PageVariables, TNode> {
  paged: PagedQuery<TData, TVariables, TNode>;
  /** The `next` of the page shown last (the first page's, from `useCursorPage`). */
  after: string | null;
  /** The button's text: "Show more jobs". */
  label: string;
  /** Said while a page is on its way: "Loading more jobs…". */
  loading: string;
  /** One row, an `<li>`; `refresh` fetches its page again. */
  item(node: TNode, refresh: () => void): ReactNode;
}

/**
 * The pages after the first, inside the list after the first page's rows: a "show more" button while the server says
 * there is more, which brings the next page, its rows, and a button for the page after it. Each page is its own query
 * (`after` the previous page's `endCursor`), fetched and refreshed on its own. A change of the query's variables (a new
 * search) goes back to the first page.
 */
export function MorePages<TData, TVariables extends PageVariables, TNode>(
  props: MorePagesProps<TData, TVariables, TNode>,
) {
  return <MoreButton key={JSON.stringify(props.paged.variables)} {...props} />;
}

function MoreButton<TData, TVariables extends PageVariables, TNode>(props: MorePagesProps<TData, TVariables, TNode>) {
  const [asked, setAsked] = useState(false);
  if (props.after === null) return null;
  if (asked) return <NextPage {...props} after={props.after} />;
  return (
    <li className="more">
      <button type="button" className="secondary" onClick={() => setAsked(true)}>
        {props.label}
      </button>
    </li>
  );
}

function NextPage<TData, TVariables extends PageVariables, TNode>(
  props: MorePagesProps<TData, TVariables, TNode> & { after: string },
) {
  const { paged, after, loading, item } = props;
  const page = useCursorPage(paged, after);
  const { result } = page;
  // The button that asked for this page is gone: once the page is here, the keyboard focus moves to its first row's
  // first control (once: a later refresh of the page leaves the focus alone).
  const start = useRef<HTMLLIElement>(null);
  const focused = useRef(false);
  useEffect(() => {
    if (focused.current || !result.data) return;
    focused.current = true;
    start.current?.nextElementSibling?.querySelector<HTMLElement>('a[href], button, select, input, textarea')?.focus();
  }, [result.data]);
  return (
    <>
      <li hidden ref={start} />
      {page.nodes.map((node) => item(node, page.refresh))}
      {result.fetching && !result.data && (
        <li className="more">
          <Loading>{loading}</Loading>
        </li>
      )}
      {result.error && (
        <li className="more">
          <ErrorNotice error={result.error} retry={page.refresh} />
        </li>
      )}
      <MoreButton {...props} after={page.next} />
    </>
  );
}
