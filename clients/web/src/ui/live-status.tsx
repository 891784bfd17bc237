import type { ReactNode } from 'react';
import { isLive } from '../sdk-exchange';
import { ErrorNotice } from './status';

/**
 * The line under a live (subscription) area: "Live: …" once its connection is open and accepted, "Connecting…" before
 * that and while a lost connection is re-established, or the error that ended it. `subscription` is the first value
 * `useSubscription` returns; `children` says what being live brings.
 */
export function LiveStatus({
  subscription,
  children,
}: {
  subscription: { error?: unknown; extensions?: Record<string, unknown> };
  children: ReactNode;
}) {
  if (subscription.error) return <ErrorNotice error={subscription.error} />;
  const live = isLive(subscription);
  return (
    <p className="live-status" data-live={live ? 'on' : 'connecting'}>
      {live ? <>Live: {children}</> : 'Connecting to live updates…'}
    </p>
  );
}
