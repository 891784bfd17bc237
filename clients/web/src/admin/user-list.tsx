import {
  GrantRoleDocument,
  RevokeRoleDocument,
  UsersDocument,
  type Role,
  type UsersQuery,
  type UsersQueryVariables,
} from '@azora/sdk';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useSignedIn } from '../app';
import { MorePages, useCursorPage, type PagedQuery } from '../ui/cursor-pages';
import { ErrorNotice, QueryStatus } from '../ui/status';

/** Every role with what it allows; a Record, so the type checker fails when the schema gains a role this lacks. */
const ROLES: Record<Role, string> = {
  admin: 'runs the platform',
  faculty: 'teaches courses',
  learner: 'learns; every new user',
  employer: 'posts jobs',
  treasury: 'moves money in and out',
  responder: 'responds to incidents',
  arbiter: 'serves on dispute juries',
  judge: 'rules on cases',
  operator: 'operates services',
  analyst: 'reads analytics',
};
const ALL_ROLES = Object.keys(ROLES) as Role[];

type UserNode = UsersQuery['users']['edges'][number]['node'];
const USERS: PagedQuery<UsersQuery, UsersQueryVariables, UserNode> = {
  query: UsersDocument,
  variables: {},
  connection: (data) => data.users,
};

export function UserList() {
  // Each page is its own query: a change to a user fetches again only the page it is on.
  const users = useCursorPage(USERS, null);
  const item = (user: UserNode, refresh: () => void) => <UserItem key={user.id} user={user} onChanged={refresh} />;
  return (
    <section aria-labelledby="users-heading" className="panel">
      <h2 id="users-heading">Users and roles</h2>
      <QueryStatus result={users.result} loading="Loading users…" retry={users.refresh} />
      <ul className="users">
        {users.nodes.map((user) => item(user, users.refresh))}
        <MorePages paged={USERS} after={users.next} label="Show more users" loading="Loading more users…" item={item} />
      </ul>
    </section>
  );
}

function UserItem({ user, onChanged }: { user: UserNode; onChanged: () => void }) {
  const me = useSignedIn().user;
  const missing = ALL_ROLES.filter((role) => !user.roles.includes(role));
  const [role, setRole] = useState<Role | ''>('');
  const [grant, grantRole] = useMutation(GrantRoleDocument);
  const [revoke, revokeRole] = useMutation(RevokeRoleDocument);
  const [error, setError] = useState<unknown>(null);
  const busy = grant.fetching || revoke.fetching;
  const settle = (result: { error?: unknown }) => {
    setError(result.error ?? null);
    if (!result.error) onChanged();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!role) return;
    settle(await grantRole({ userId: user.id, role }));
    setRole('');
  };
  const selectId = `grant-${user.id}`;
  return (
    <li className="user" aria-label={user.displayName}>
      <p className="user-name">
        {user.displayName} {user.id === me.id && <span className="badge">you</span>}
      </p>
      <p className="user-email">{user.email}</p>
      <ul className="roles" aria-label={`Roles of ${user.displayName}`}>
        {user.roles.map((held) => (
          <li key={held} className="role">
            <span title={ROLES[held]}>{held}</span>
            <button
              type="button"
              className="link small"
              disabled={busy}
              aria-label={`Remove the ${held} role from ${user.displayName}`}
              onClick={async () => settle(await revokeRole({ userId: user.id, role: held }))}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {missing.length > 0 && (
        <form className="grant" onSubmit={submit}>
          <label htmlFor={selectId}>
            Grant a role<span className="visually-hidden"> to {user.displayName}</span>
          </label>
          <select id={selectId} value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
            <option value="">Choose a role…</option>
            {missing.map((r) => (
              <option key={r} value={r}>
                {r} ({ROLES[r]})
              </option>
            ))}
          </select>
          <button type="submit" className="secondary" disabled={busy || !role}>
            Grant
          </button>
        </form>
      )}
      {error !== null && <ErrorNotice error={error} />}
    </li>
  );
}
