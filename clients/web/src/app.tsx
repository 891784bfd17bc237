import type { StoredSession } from '@azora/sdk';
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Provider as UrqlProvider } from 'urql';
import type { Azora } from './azora';
import { AdminPage } from './admin/admin-page';
import { JobBoardPage } from './jobs/job-board-page';
import { JobPage } from './jobs/job-page';
import { CataloguePage } from './learning/catalogue-page';
import { CoursePage } from './learning/course-page';
import { SignInPage, SignUpPage } from './pages/auth-pages';
import { Link, navigate, usePath } from './routing';
import { WalletPage } from './wallet/wallet-page';

interface AppContext {
  azora: Azora;
  session: StoredSession | null;
  /** True when the session ended by itself (expired, or signed out elsewhere) rather than by "Sign out". */
  sessionEnded: boolean;
  signOut(): Promise<void>;
}

const Context = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const context = useContext(Context);
  if (!context) throw new Error('useApp outside <App>');
  return context;
}

/** The signed-in session; the pages that use it are only rendered while there is one. */
export function useSignedIn(): StoredSession {
  const { session } = useApp();
  if (!session) throw new Error('useSignedIn on a page for signed-in users only');
  return session;
}

export function App({ azora }: { azora: Azora }) {
  const session = useSyncExternalStore(azora.onSessionChange, () => azora.session.current);
  const [sessionEnded, setSessionEnded] = useState(false);
  const signingOut = useRef(false);
  const previous = useRef(session);
  useEffect(() => {
    if (previous.current && !session && !signingOut.current) setSessionEnded(true);
    if (session) setSessionEnded(false);
    signingOut.current = false;
    previous.current = session;
  }, [session]);

  const context: AppContext = {
    azora,
    session,
    sessionEnded,
    async signOut() {
      signingOut.current = true;
      await azora.session.signOut();
      navigate('/sign-in');
    },
  };
  return (
    <Context.Provider value={context}>
      <UrqlProvider value={azora.urqlFor(session?.user.id ?? null)}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Header />
        <main id="main" tabIndex={-1}>
          <Route />
        </main>
      </UrqlProvider>
    </Context.Provider>
  );
}

function Header() {
  const { session, signOut } = useApp();
  const path = usePath();
  // A section's link is current on its detail pages too (/courses/…).
  const current = (to: string) => (path === to || path.startsWith(`${to}/`) ? ('page' as const) : undefined);
  return (
    <header className="top">
      <Link to="/" className="brand">
        Azora
      </Link>
      <nav aria-label="Main">
        <ul>
          <li>
            <Link to="/courses" aria-current={current('/courses')}>
              Courses
            </Link>
          </li>
          <li>
            <Link to="/jobs" aria-current={current('/jobs')}>
              Jobs
            </Link>
          </li>
          {session ? (
            <>
              <li>
                <Link to="/wallet" aria-current={current('/wallet')}>
                  Wallet
                </Link>
              </li>
              {session.user.roles.includes('admin') && (
                <li>
                  <Link to="/admin" aria-current={current('/admin')}>
                    Admin
                  </Link>
                </li>
              )}
              <li className="who" aria-label="Signed in as">
                {session.user.displayName}
              </li>
              <li>
                <button type="button" className="link" onClick={() => void signOut()}>
                  Sign out
                </button>
              </li>
            </>
          ) : (
            <>
              <li>
                <Link to="/sign-in" aria-current={current('/sign-in')}>
                  Sign in
                </Link>
              </li>
              <li>
                <Link to="/sign-up" aria-current={current('/sign-up')}>
                  Create account
                </Link>
              </li>
            </>
          )}
        </ul>
      </nav>
    </header>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

/** `/courses/<id>` → the id; ids are the API's opaque strings, so anything but a slash. */
function idAfter(prefix: string, path: string): string | null {
  const match = new RegExp(`^${prefix}/([^/]+)$`).exec(path);
  return match ? decodeURIComponent(match[1]!) : null;
}

function Route(): ReactNode {
  const path = usePath();
  const { session } = useApp();
  const courseId = idAfter('/courses', path);
  if (courseId) return <CoursePage key={courseId} id={courseId} />;
  const jobId = idAfter('/jobs', path);
  if (jobId) return <JobPage key={jobId} id={jobId} />;
  switch (path) {
    case '/courses':
      return <CataloguePage />;
    case '/jobs':
      return <JobBoardPage />;
    case '/':
      return <Redirect to={session ? '/wallet' : '/sign-in'} />;
    case '/sign-in':
      return session ? <Redirect to="/wallet" /> : <SignInPage />;
    case '/sign-up':
      return session ? <Redirect to="/wallet" /> : <SignUpPage />;
    case '/wallet':
      return session ? <WalletPage /> : <Redirect to="/sign-in" />;
    case '/admin':
      if (!session) return <Redirect to="/sign-in" />;
      return session.user.roles.includes('admin') ? <AdminPage /> : <NotAllowed />;
    default:
      return <NotFound />;
  }
}

/** The page's one h1. It takes the focus when the page changes, so screen readers announce where the user is. */
export function PageHeading({ children, title }: { children: ReactNode; title: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Azora`;
    if (pageChanges++ > 0) heading.current?.focus();
  }, [title]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}
// The first page of a visit keeps the browser's own focus; later pages move it to their heading.
let pageChanges = 0;

function NotAllowed() {
  return (
    <section className="page">
      <PageHeading title="Not allowed">Admins only</PageHeading>
      <p>This page needs the admin role. An admin can grant it to you.</p>
      <p>
        <Link to="/wallet">Back to your wallet</Link>
      </p>
    </section>
  );
}

function NotFound() {
  return (
    <section className="page">
      <PageHeading title="Not found">Page not found</PageHeading>
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </section>
  );
}
