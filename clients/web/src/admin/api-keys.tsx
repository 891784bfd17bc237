import { ApiKeysDocument, CreateApiKeyDocument, RevokeApiKeyDocument, type ApiKeyFieldsFragment } from '@azora/sdk';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { CopyButton } from '../ui/copy-button';
import { TextField } from '../ui/field';
import { ErrorNotice, Loading } from '../ui/status';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : null);

/** The signed-in admin's own API keys: create (the secret is shown this once) and revoke. */
export function ApiKeys() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiKeysDocument, requestPolicy: 'network-only' });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="keys-heading" className="panel">
      <h2 id="keys-heading">API keys</h2>
      <p className="hint">
        For devices and integrations: they send <code>Authorization: ApiKey …</code> and act for you, with your roles.
      </p>
      <CreateKeyForm onCreated={refresh} />
      {fetching && !data && <Loading>Loading keys…</Loading>}
      {error && <ErrorNotice error={error} retry={refresh} />}
      {data && data.apiKeys.length === 0 && <p>No API keys yet.</p>}
      {data && data.apiKeys.length > 0 && (
        <ul className="keys">
          {[...data.apiKeys].reverse().map((key) => (
            <KeyItem key={key.id} apiKey={key} onRevoked={refresh} />
          ))}
        </ul>
      )}
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [{ fetching, error }, createApiKey] = useMutation(CreateApiKeyDocument);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSecret(null);
    const result = await createApiKey({ input: { name: name.trim(), scopes: scopes.split(/[\s,]+/).filter(Boolean) } });
    if (result.data) {
      setSecret({ name: result.data.createApiKey.apiKey.name, secret: result.data.createApiKey.secret });
      setName('');
      setScopes('');
      onCreated();
    }
  };
  return (
    <>
      <form className="inline-form" onSubmit={submit} aria-labelledby="create-key-heading">
        <h3 id="create-key-heading">New key</h3>
        <TextField
          id="key-name"
          label="Name"
          required
          maxLength={120}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="freezer-7 sensor"
        />
        <TextField
          id="key-scopes"
          label="Scopes"
          hint="Separated by spaces or commas; lower-case letters, digits and :._-"
          value={scopes}
          onChange={(e) => setScopes(e.target.value)}
          placeholder="coldchain:ingest"
        />
        <button type="submit" disabled={fetching}>
          {fetching ? 'Creating…' : 'Create key'}
        </button>
        {error && <ErrorNotice error={error} />}
      </form>
      {secret && (
        <div className="notice notice-success secret" role="status">
          <p>
            The secret of <strong>{secret.name}</strong>. Store it now: it is never shown again.
          </p>
          <p>
            <code data-testid="api-key-secret">{secret.secret}</code>{' '}
            <CopyButton text={secret.secret} label="Copy the secret" />
          </p>
        </div>
      )}
    </>
  );
}

function KeyItem({ apiKey, onRevoked }: { apiKey: ApiKeyFieldsFragment; onRevoked: () => void }) {
  const [{ fetching, error }, revokeApiKey] = useMutation(RevokeApiKeyDocument);
  const revoked = apiKey.revokedAt !== null;
  return (
    <li className={revoked ? 'key revoked' : 'key'} aria-label={`API key ${apiKey.name}`}>
      <p className="key-name">
        {apiKey.name} <code>{apiKey.prefix}…</code>{' '}
        {revoked && <span className="badge">revoked {when(apiKey.revokedAt)}</span>}
      </p>
      <p className="hint">
        {apiKey.scopes.length ? `Scopes: ${apiKey.scopes.join(', ')}` : 'No scopes'} · created {when(apiKey.createdAt)}
        {apiKey.lastUsedAt && ` · last used ${when(apiKey.lastUsedAt)}`}
        {apiKey.expiresAt && ` · expires ${when(apiKey.expiresAt)}`}
      </p>
      {!revoked && (
        <button
          type="button"
          className="secondary small"
          disabled={fetching}
          aria-label={`Revoke the API key ${apiKey.name}`}
          onClick={async () => {
            const result = await revokeApiKey({ id: apiKey.id });
            if (!result.error) onRevoked();
          }}
        >
          Revoke
        </button>
      )}
      {error && <ErrorNotice error={error} />}
    </li>
  );
}
