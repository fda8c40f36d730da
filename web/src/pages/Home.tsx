import { useTitle } from './Entities.js';
import { useState } from 'react';
import { api } from '../api.js';
import { Link } from '../router.js';
import { hasRole, useSession } from '../session.js';
import { ErrorBox, useToast } from '../components/ui.js';
import { useSubmit } from './Login.js';

export function HomePage() {
  useTitle('Home');
  const { user } = useSession();
  const toast = useToast();
  const [title, setTitle] = useState('');
  const [message, setMessage] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    await api.sendCustom(title, message);
    toast('success', 'Notification sent');
    setTitle('');
    setMessage('');
  });
  return (
    <>
      <h1>Welcome, {user.name || user.username}</h1>
      <p className="muted">
        New notifications appear in the Inbox at the top right. Choose which ones you receive in{' '}
        <Link to="/settings/notifications">notification settings</Link>
        {hasRole(user, 'owner') && (
          <>
            ; manage delivery for everyone in the <Link to="/deployment/notifications">deployment settings</Link>
          </>
        )}
        .
      </p>
      <section className="card">
        <h2>Send yourself a notification</h2>
        <p className="muted">It is delivered like any custom notification: to your Inbox and through the deployment's default method.</p>
        <form className="stack" onSubmit={submit}>
          {error && <ErrorBox>{error}</ErrorBox>}
          <label>
            Title
            <input name="title" required maxLength={120} value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label>
            Message
            <textarea name="message" required maxLength={2000} rows={3} value={message} onChange={(e) => setMessage(e.target.value)} />
          </label>
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send notification'}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
