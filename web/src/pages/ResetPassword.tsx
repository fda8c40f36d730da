import { useTitle } from './Entities.js';
import { useState } from 'react';
import { api } from '../api.js';
import { Link, navigate, useLocation } from '../router.js';
import { ErrorBox, useToast } from '../components/ui.js';
import { AuthCard, useSubmit } from './Login.js';

/** /reset-password: asks for a one-time passcode by e-mail. */
export function RequestPasscodePage() {
  useTitle('Reset your password');
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { busy, error, submit } = useSubmit(async () => {
    await api.requestOneTimePasscode(email);
    setSent(true);
  });
  return (
    <AuthCard title="Reset your password" onSubmit={submit}>
      {sent ? (
        <div className="alert alert-success" role="status">
          If an account uses <strong>{email}</strong>, we sent it an e-mail with a link to choose a new password. The link is valid for a limited time.
        </div>
      ) : (
        <>
          <p className="muted">Enter your account's e-mail address and we will send you a link to reset your password.</p>
          {error && <ErrorBox>{error}</ErrorBox>}
          <label>
            Email
            <input type="email" name="email" autoComplete="email" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Reset password'}
          </button>
        </>
      )}
      <Link to="/login" className="auth-link">
        Back to sign in
      </Link>
    </AuthCard>
  );
}

/** /reset-password/change?otp=…&email=…: the link from the e-mail. */
export function ChangePasswordPage() {
  useTitle('Choose a new password');
  const toast = useToast();
  const { search } = useLocation();
  const [email, setEmail] = useState(search.get('email') ?? '');
  const [otp, setOtp] = useState(search.get('otp') ?? '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const fromLink = !!search.get('otp') && !!search.get('email');
  const { busy, error, submit } = useSubmit(async () => {
    if (password !== confirm) throw new Error('The passwords do not match.');
    await api.changePasswordWithOneTimePasscode({ email, password, one_time_passcode: otp.trim() });
    toast('success', 'Password reset successfully');
    navigate('/login');
  });
  return (
    <AuthCard title="Choose a new password" onSubmit={submit}>
      {error && <ErrorBox>{error}</ErrorBox>}
      {!fromLink && (
        <>
          <label>
            Email
            <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            One-time passcode
            <input name="one_time_passcode" autoComplete="one-time-code" required value={otp} onChange={(e) => setOtp(e.target.value)} />
          </label>
        </>
      )}
      {fromLink && <p className="muted">Resetting the password of {email}.</p>}
      <label>
        New password
        <input type="password" name="password" autoComplete="new-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label>
        Confirm new password
        <input type="password" name="confirm_password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Saving…' : 'Reset password'}
      </button>
      <Link to="/login" className="auth-link">
        Back to sign in
      </Link>
    </AuthCard>
  );
}
