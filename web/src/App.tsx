import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, errorText, setUnauthorizedHandler, type User } from './api.js';
import { Link, navigate, useLocation } from './router.js';
import { hasRole, SessionContext } from './session.js';
import { InboxBell } from './components/InboxBell.js';
import { ErrorBox, useToast } from './components/ui.js';
import { LoginPage, SetupPage } from './pages/Login.js';
import { ChangePasswordPage, RequestPasscodePage } from './pages/ResetPassword.js';
import { HomePage } from './pages/Home.js';
import { NotificationSettingsPage } from './pages/NotificationSettings.js';
import { NotificationsPage } from './pages/Notifications.js';
import { DeploymentNotificationsPage } from './pages/DeploymentNotifications.js';
import { BuildPage, TaskPage, TemplatePage, TemplatesPage, TemplateVersionPage, useTitle, UsersPage, WorkspacePage, WorkspacesPage } from './pages/Entities.js';

type Session = { state: 'loading' } | { state: 'error'; error: string } | { state: 'anonymous'; hasFirstUser: boolean } | { state: 'signed-in'; user: User };

const PUBLIC_PATHS = ['/login', '/setup', '/reset-password', '/reset-password/change'];

export function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const { pathname, href } = useLocation();

  const refresh = useCallback(async () => {
    try {
      setSession({ state: 'signed-in', user: await api.me() });
    } catch (err) {
      try {
        setSession({ state: 'anonymous', hasFirstUser: await api.hasFirstUser() });
      } catch {
        setSession({ state: 'error', error: errorText(err) });
      }
    }
  }, []);

  useEffect(() => {
    void refresh();
    setUnauthorizedHandler(() => void refresh());
    return () => setUnauthorizedHandler(undefined);
  }, [refresh]);

  // Send people where they can be: to setup before the first user exists, to login when signed out,
  // and away from login once signed in.
  const isPublic = PUBLIC_PATHS.includes(pathname);
  let redirect: string | undefined;
  if (session.state === 'anonymous') {
    if (!session.hasFirstUser && pathname !== '/setup') redirect = '/setup';
    else if (session.hasFirstUser && pathname === '/setup') redirect = '/login';
    else if (!isPublic) redirect = `/login?redirect=${encodeURIComponent(href)}`;
  } else if (session.state === 'signed-in' && (pathname === '/login' || pathname === '/setup')) {
    const next = new URLSearchParams(location.search).get('redirect');
    redirect = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  }
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  if (session.state === 'loading' || redirect) return <div className="page-loading">Loading…</div>;
  if (session.state === 'error') {
    return (
      <main className="auth-page">
        <ErrorBox>The server could not be reached: {session.error}</ErrorBox>
      </main>
    );
  }
  if (session.state === 'anonymous' || isPublic) {
    switch (pathname) {
      case '/setup':
        return <SetupPage onDone={refresh} />;
      case '/reset-password':
        return <RequestPasscodePage />;
      case '/reset-password/change':
        return <ChangePasswordPage />;
      default:
        return <LoginPage onDone={refresh} />;
    }
  }
  return (
    <SessionContext.Provider value={{ user: session.user, refresh }}>
      <Layout user={session.user} onSignedOut={refresh}>
        <Routes pathname={pathname} user={session.user} />
      </Layout>
    </SessionContext.Provider>
  );
}

/** The pages with a path parameter (the targets of notification actions), or undefined. */
function entityRoute(pathname: string, search: URLSearchParams, user: User): ReactNode | undefined {
  const seg = pathname.split('/').slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const filter = search.get('filter') ?? '';
  if (seg[0]?.startsWith('@') && seg.length === 2) return <WorkspacePage owner={seg[0].slice(1)} name={seg[1]!} />;
  if (seg[0]?.startsWith('@') && seg.length === 4 && seg[2] === 'builds' && /^\d+$/.test(seg[3]!)) {
    return <BuildPage owner={seg[0].slice(1)} name={seg[1]!} number={Number(seg[3])} />;
  }
  if (seg[0] === 'tasks' && seg.length === 3) return <TaskPage owner={seg[1]!} name={seg[2]!} />;
  if (seg[0] === 'workspaces' && seg.length === 1) return <WorkspacesPage filter={filter} />;
  if (seg[0] === 'templates' && seg.length === 1) return <TemplatesPage />;
  if (seg[0] === 'templates' && seg.length === 3) return <TemplatePage org={seg[1]!} name={seg[2]!} />;
  if (seg[0] === 'templates' && seg.length === 5 && seg[3] === 'versions') return <TemplateVersionPage org={seg[1]!} name={seg[2]!} version={seg[4]!} />;
  if (pathname === '/deployment/users') {
    return hasRole(user, 'owner', 'user-admin') ? <UsersPage filter={filter} /> : <NotFound text="Only owners and user admins can manage users." />;
  }
  return undefined;
}

function Routes({ pathname, user }: { pathname: string; user: User }) {
  const { search } = useLocation();
  const entity = entityRoute(pathname.replace(/\/+$/, '') || '/', search, user);
  if (entity) return entity;
  switch (pathname) {
    case '/':
      return <HomePage />;
    case '/settings/notifications':
      return <NotificationSettingsPage />;
    case '/notifications':
      return <NotificationsPage />;
    case '/deployment/notifications':
      return hasRole(user, 'owner') ? <DeploymentNotificationsPage /> : <NotFound text="Only owners can manage the deployment's notifications." />;
    default:
      return <NotFound text="There is no page at this address." />;
  }
}

function NotFound({ text }: { text: string }) {
  useTitle('Page not found');
  return (
    <section data-page="not-found">
      <h1>Page not found</h1>
      <p>{text}</p>
      <Link to="/">Back to the start page</Link>
    </section>
  );
}

function Layout({ user, onSignedOut, children }: { user: User; onSignedOut: () => Promise<void>; children: ReactNode }) {
  const toast = useToast();
  const { pathname } = useLocation();
  const signOut = async () => {
    try {
      await api.logout();
    } catch (err) {
      toast('error', `Sign out failed: ${errorText(err)}`);
    }
    await onSignedOut();
  };
  const nav = [
    { to: '/', label: 'Home' },
    { to: '/workspaces', label: 'Workspaces' },
    { to: '/templates', label: 'Templates' },
    ...(hasRole(user, 'owner', 'user-admin') ? [{ to: '/deployment/users', label: 'Users' }] : []),
    { to: '/notifications', label: 'Inbox' },
    { to: '/settings/notifications', label: 'Notifications' },
    ...(hasRole(user, 'owner') ? [{ to: '/deployment/notifications', label: 'Deployment' }] : []),
  ];
  const current = (to: string) => (to === '/' ? pathname === '/' : pathname === to || pathname.startsWith(`${to}/`) || (to === '/workspaces' && pathname.startsWith('/@')));
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="navbar">
        <Link to="/" className="brand">
          Herald
        </Link>
        <nav aria-label="Main">
          {nav.map((n) => (
            <Link key={n.to} to={n.to} aria-current={current(n.to) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="navbar-end">
          <InboxBell />
          <HelpMenu />
          <span className="navbar-user" title={user.email}>
            {user.username}
          </span>
          <button type="button" className="btn btn-small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** The documentation the server serves at /docs, one click from every page. */
const HELP_LINKS = [
  ['/docs', 'Documentation home'],
  ['/docs/admin/notifications', 'Notifications admin guide'],
  ['/docs/tasks', 'Tasks guide'],
  ['/docs/reference/api', 'API reference'],
  ['/docs/reference/cli', 'CLI reference'],
] as const;

function HelpMenu() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !(e.target as Element).closest?.('.help-menu')) setOpen(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('click', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('click', close);
    };
  }, [open]);
  return (
    <div className="help-menu">
      <button type="button" className="navbar-help" aria-expanded={open} aria-controls="help-menu-list" onClick={() => setOpen((o) => !o)}>
        Help
      </button>
      {open && (
        <ul id="help-menu-list" className="help-menu-list" aria-label="Help">
          {HELP_LINKS.map(([href, label]) => (
            <li key={href}>
              <a href={href} target="_blank" rel="noopener" onClick={() => setOpen(false)}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
