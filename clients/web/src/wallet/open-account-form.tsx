import { OpenAccountDocument, type WalletQuery } from '@azora/sdk';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ErrorNotice, Success } from '../ui/status';

export function OpenAccountForm({
  currencies,
  onOpened,
}: {
  currencies: WalletQuery['currencies'];
  onOpened: () => void;
}) {
  const [currency, setCurrency] = useState(currencies[0]?.code ?? '');
  const [opened, setOpened] = useState<string | null>(null);
  const [{ fetching, error }, openAccount] = useMutation(OpenAccountDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOpened(null);
    const result = await openAccount({ input: { currency } });
    if (result.data) {
      setOpened(result.data.openAccount.currency);
      onOpened();
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby="open-account-heading">
      <h3 id="open-account-heading">Open an account</h3>
      <div className="field">
        <label htmlFor="open-account-currency">Currency</label>
        <select id="open-account-currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
          {currencies.map((c) => (
            <option key={c.code} value={c.code}>
              {c.code} · {c.name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={fetching || !currency}>
        {fetching ? 'Opening…' : 'Open account'}
      </button>
      {error && <ErrorNotice error={error} />}
      {opened && <Success>Your {opened} account is open.</Success>}
    </form>
  );
}
