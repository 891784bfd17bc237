import type { ReactNode } from 'react';
import { readableError, type ErrorMessages } from './errors';

/** A loading line that screen readers announce once. */
export function Loading({ children }: { children: ReactNode }) {
  return (
    <p className="status" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

/** An error, announced at once (role="alert"), with a way to try again when there is one. */
export function ErrorNotice({
  error,
  messages,
  retry,
}: {
  error: unknown;
  messages?: ErrorMessages;
  retry?: () => void;
}) {
  return (
    <div className="notice notice-error" role="alert">
      <p>{readableError(error, messages)}</p>
      {retry && (
        <button type="button" className="secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A success line, announced politely. */
export function Success({ children }: { children: ReactNode }) {
  return (
    <p className="notice notice-success" role="status">
      {children}
    </p>
  );
}

/**
 * What a panel shows while its query is on its way or failed: loading until the first answer, then the error with a
 * retry. `unavailable` is for an answer without the part the panel needs (a subgraph that could not be reached).
 */
export function QueryStatus({
  result,
  loading,
  retry,
  unavailable,
}: {
  result: { fetching: boolean; data?: unknown; error?: unknown };
  loading: string;
  retry: () => void;
  unavailable?: string;
}) {
  if (result.fetching && !result.data) return <Loading>{loading}</Loading>;
  if (result.error) return <ErrorNotice error={result.error} retry={retry} />;
  if (result.data && unavailable) return <ErrorNotice error={new Error(unavailable)} retry={retry} />;
  return null;
}
