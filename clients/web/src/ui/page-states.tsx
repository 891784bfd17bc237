import type { ReactNode } from 'react';
import { PageHeading } from '../app';
import { ErrorNotice } from './status';

/** A whole page whose query failed: its heading, the error and a retry. */
export function PageFailed({ title, error, retry }: { title: string; error: unknown; retry: () => void }) {
  return (
    <section className="page">
      <PageHeading title={title}>{title}</PageHeading>
      <ErrorNotice error={error} retry={retry} />
    </section>
  );
}

/** A detail page whose object does not exist (or is not for this reader). */
export function PageNotFound({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="page">
      <PageHeading title={title}>{title}</PageHeading>
      {children}
    </section>
  );
}
