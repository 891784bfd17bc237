import { useState, type FormEvent, type ReactNode } from 'react';
import { PageHeading, useApp } from '../app';
import { Link, navigate } from '../routing';
import type { ErrorMessages } from '../ui/errors';
import { TextField } from '../ui/field';
import { ErrorNotice } from '../ui/status';

/** Submits once at a time, shows the error in place, and opens the wallet when signed in. */
function useAuthForm(action: () => Promise<unknown>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await action();
      navigate('/wallet', { replace: true });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  return (
    <section className="page narrow">
      <PageHeading title={title}>{title}</PageHeading>
      {children}
      <p className="aside">{footer}</p>
    </section>
  );
}

// Sign-in failures do not say whether the email exists; the server's sentence is the one to show.
const SIGN_IN_MESSAGES: ErrorMessages = { UNAUTHENTICATED: ({ message }) => message };

export function SignInPage() {
  const { azora, sessionEnded } = useApp();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useAuthForm(() => azora.session.signIn({ email, password }));
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New to Azora? <Link to="/sign-up">Create an account</Link>
        </>
      }
    >
      {sessionEnded && !error && <p className="notice">Your session has ended. Please sign in again.</p>}
      <form onSubmit={submit}>
        <TextField
          id="sign-in-email"
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          id="sign-in-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error !== null && <ErrorNotice error={error} messages={SIGN_IN_MESSAGES} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthCard>
  );
}

export function SignUpPage() {
  const { azora } = useApp();
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useAuthForm(() => azora.session.signUp({ email, password, displayName }));
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit}>
        <TextField
          id="sign-up-name"
          label="Your name"
          autoComplete="name"
          required
          maxLength={120}
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
        />
        <TextField
          id="sign-up-email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          id="sign-up-password"
          label="Password"
          hint="At least 8 characters."
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={256}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error !== null && <ErrorNotice error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
    </AuthCard>
  );
}
