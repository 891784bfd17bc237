import { TransferDocument, type AccountSummaryFragment, type TransferMutation } from '@azora/sdk';
import { useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { errorDetails, type ErrorMessages } from '../ui/errors';
import { ErrorNotice, Success } from '../ui/status';
import { formatMoney, newIdempotencyKey, parseAmountInput } from './money';

type Problem = { kind: 'input'; field: 'amount' | 'to'; message: string } | { kind: 'server'; error: unknown };

/** Which input a problem is about, so that input is marked invalid and described by the message. */
function problemField(problem: Problem | null): 'amount' | 'to' | undefined {
  if (!problem) return undefined;
  if (problem.kind === 'input') return problem.field;
  const { code, field } = errorDetails(problem.error);
  if (code === 'INSUFFICIENT_FUNDS' || field === 'amount') return 'amount';
  if (code === 'NOT_FOUND' || field === 'toAccountId') return 'to';
  return undefined;
}

export function TransferForm({ accounts, onSent }: { accounts: AccountSummaryFragment[]; onSent: () => void }) {
  const [fromId, setFromId] = useState(accounts[0]!.id);
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [sent, setSent] = useState<TransferMutation['transfer'] | null>(null);
  const [{ fetching }, transfer] = useMutation(TransferDocument);
  // One key per intended payment: resending the same form after a failure whose outcome is unknown (the connection
  // dropped) cannot pay twice. Changing anything makes it a different payment with a new key.
  const key = useRef(newIdempotencyKey());
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      key.current = newIdempotencyKey();
      setProblem(null);
      set(value);
    };
  const from = accounts.find((a) => a.id === fromId) ?? accounts[0]!;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSent(null);
    const toAccountId = to.trim();
    if (!toAccountId)
      return setProblem({ kind: 'input', field: 'to', message: "Enter the recipient's account number." });
    const value = parseAmountInput(amount);
    if (value === null)
      return setProblem({ kind: 'input', field: 'amount', message: 'Enter the amount as a number, like 12.50.' });
    setProblem(null);
    const result = await transfer({
      input: {
        fromAccountId: from.id,
        toAccountId,
        amount: value,
        memo: memo.trim() || null,
        idempotencyKey: key.current,
      },
    });
    if (result.error) return setProblem({ kind: 'server', error: result.error });
    if (result.data) {
      setSent(result.data.transfer);
      key.current = newIdempotencyKey();
      setAmount('');
      setMemo('');
      onSent();
    }
  };

  const field = problemField(problem);
  const messages: ErrorMessages = {
    INSUFFICIENT_FUNDS: `Not enough money: your ${from.currency} account holds ${formatMoney(from.balance)}. Send less, or add money first.`,
    BAD_USER_INPUT: ({ message, field: blamed }) =>
      blamed === 'amount'
        ? `Check the amount: ${message}`
        : blamed === 'toAccountId'
          ? `Check the recipient: ${message}`
          : message,
    NOT_FOUND: "No account has that number. Check the recipient's account number.",
  };
  const describedBy = (name: 'amount' | 'to', hint?: string) =>
    [hint, field === name ? 'transfer-problem' : undefined].filter(Boolean).join(' ') || undefined;

  return (
    <section aria-labelledby="transfer-heading" className="panel">
      <h2 id="transfer-heading">Send money</h2>
      <form onSubmit={submit} noValidate>
        {accounts.length > 1 && (
          <div className="field">
            <label htmlFor="transfer-from">From</label>
            <select id="transfer-from" value={from.id} onChange={(e) => edit(setFromId)(e.target.value)}>
              {accounts.map((account) => (
                <option key={account.id} value={account.id}>
                  {account.currency} · {formatMoney(account.balance)}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="transfer-to">Recipient's account number</label>
          <input
            id="transfer-to"
            autoComplete="off"
            spellCheck={false}
            value={to}
            aria-invalid={field === 'to' || undefined}
            aria-describedby={describedBy('to')}
            onChange={(e) => edit(setTo)(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="transfer-amount">Amount ({from.currency})</label>
          <input
            id="transfer-amount"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={amount}
            aria-invalid={field === 'amount' || undefined}
            aria-describedby={describedBy('amount', 'transfer-available')}
            onChange={(e) => edit(setAmount)(e.target.value)}
          />
          <p className="hint" id="transfer-available">
            Available: {formatMoney(from.balance)}
          </p>
        </div>
        <div className="field">
          <label htmlFor="transfer-memo">Note (optional)</label>
          <input id="transfer-memo" maxLength={200} value={memo} onChange={(e) => edit(setMemo)(e.target.value)} />
        </div>
        {problem && (
          <div id="transfer-problem">
            {problem.kind === 'input' ? (
              <div className="notice notice-error" role="alert">
                <p>{problem.message}</p>
              </div>
            ) : (
              <ErrorNotice error={problem.error} messages={messages} />
            )}
          </div>
        )}
        <button type="submit" disabled={fetching}>
          {fetching ? 'Sending…' : 'Send money'}
        </button>
        {sent && (
          <Success>
            Sent {formatMoney(sent.amount)} to account {sent.toAccountId}.
          </Success>
        )}
      </form>
    </section>
  );
}
