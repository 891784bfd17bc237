import { WalletDocument, type AccountSummaryFragment } from '@azora/sdk';
import { useState } from 'react';
import { useQuery } from 'urql';
import { PageHeading } from '../app';
import { CopyButton } from '../ui/copy-button';
import { ErrorNotice, Loading } from '../ui/status';
import { Activity } from './activity';
import { formatMoney } from './money';
import { OpenAccountForm } from './open-account-form';
import { TransferForm } from './transfer-form';

// Balances must never come from a cache: every visit and every change asks the ledger again.
const FRESH = { requestPolicy: 'network-only' } as const;

export function WalletPage() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WalletDocument, ...FRESH });
  const [selected, setSelected] = useState<string | null>(null);
  const refresh = () => refetch(FRESH);
  const accounts = data?.me?.accounts ?? [];
  const shown = accounts.find((a) => a.id === selected) ?? accounts[0];

  return (
    <section className="page">
      <PageHeading title="Wallet">Your wallet</PageHeading>
      {fetching && !data && <Loading>Loading your wallet…</Loading>}
      {error && <ErrorNotice error={error} retry={refresh} />}
      {data && (
        <div className="wallet">
          <section aria-labelledby="accounts-heading" className="panel">
            <h2 id="accounts-heading">Accounts</h2>
            {accounts.length === 0 ? (
              <p>You have no account yet. Open one to receive and send money.</p>
            ) : (
              <ul className="accounts">
                {accounts.map((account) => (
                  <AccountCard
                    key={account.id}
                    account={account}
                    shown={account.id === shown?.id}
                    onShow={() => setSelected(account.id)}
                  />
                ))}
              </ul>
            )}
            <OpenAccountForm currencies={data.currencies} onOpened={refresh} />
          </section>
          {accounts.length > 0 && <TransferForm accounts={accounts} onSent={refresh} />}
          {shown && <Activity key={shown.id} account={shown} onLiveEntry={refresh} />}
        </div>
      )}
    </section>
  );
}

function AccountCard({
  account,
  shown,
  onShow,
}: {
  account: AccountSummaryFragment;
  shown: boolean;
  onShow: () => void;
}) {
  const numberId = `account-number-${account.id}`;
  return (
    <li className={shown ? 'account shown' : 'account'} aria-label={`${account.currency} account`}>
      <p className="account-currency">{account.currency}</p>
      <p className="balance" data-testid={`balance-${account.id}`}>
        {formatMoney(account.balance)}
      </p>
      {account.status === 'FROZEN' && <p className="badge">Frozen</p>}
      <p className="account-number">
        <span id={numberId}>Account number</span> <code aria-labelledby={numberId}>{account.id}</code>{' '}
        <CopyButton text={account.id} label={`Copy the ${account.currency} account number`} />
      </p>
      <button type="button" className="secondary" aria-pressed={shown} onClick={onShow}>
        {shown ? 'Showing activity' : 'Show activity'}
      </button>
    </li>
  );
}
