import { useState, type FormEvent, type ReactNode } from 'react';
import { api, errorText } from '../api.js';
import { Link } from '../router.js';
import { ErrorBox } from '../components/ui.js';

export function AuthCard({ title, children, onSubmit }: { title: string; children: ReactNode; onSubmit: (e: FormEvent) => void }) {
  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={onSubmit}>
        <div className="brand auth-brand">Herald</div>
        <h1>{title}</h1>
        {children}
      </form>
    </main>
  );
}

/** Runs a form submission with a busy flag and a readable error. */
export function useSubmit(fn: () => Promise<void>): { busy: boolean; error?: string; submit: (e: FormEvent) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    fn()
      .catch((err) => setError(errorText(err)))
      .finally(() => setBusy(false));
  };
  return { busy, error, submit };
}

export function LoginPage({ onDone }: { onDone: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    await api.login(email, password);
    await onDone();
  });
  return (
    <AuthCard title="Sign in" onSubmit={submit}>
      {error && <ErrorBox>{error}</ErrorBox>}
      <label>
        Email
        <input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <Link to="/reset-password" className="auth-link">
        Forgot password?
      </Link>
    </AuthCard>
  );
}

export function SetupPage({ onDone }: { onDone: () => Promise<void> }) {
  const [form, setForm] = useState({ email: '', username: '', name: '', password: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const { busy, error, submit } = useSubmit(async () => {
    await api.createFirstUser(form);
    await api.login(form.email, form.password);
    await onDone();
  });
  return (
    <AuthCard title="Create the first user" onSubmit={submit}>
      <p className="muted">This account becomes the owner of this Herald deployment.</p>
      {error && <ErrorBox>{error}</ErrorBox>}
      <label>
        Email
        <input type="email" name="email" autoComplete="email" required autoFocus value={form.email} onChange={set('email')} />
      </label>
      <label>
        Username
        <input name="username" autoComplete="username" required maxLength={32} value={form.username} onChange={set('username')} />
      </label>
      <label>
        Full name <span className="muted">(optional)</span>
        <input name="name" autoComplete="name" value={form.name} onChange={set('name')} />
      </label>
      <label>
        Password
        <input type="password" name="password" autoComplete="new-password" required value={form.password} onChange={set('password')} />
      </label>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </AuthCard>
  );
}
