import { PageHeading } from '../app';
import { ApiKeys } from './api-keys';
import { UserList } from './user-list';

export function AdminPage() {
  return (
    <section className="page">
      <PageHeading title="Admin">Admin</PageHeading>
      <UserList />
      <ApiKeys />
    </section>
  );
}
