// The user's own channels on the notification settings page: browser push for this browser, and the
// destinations they add themselves (Slack, Teams, Discord, a signed webhook, ntfy).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, type DestinationKind, type UserDestination } from '../api.js';
import { ChannelIcon } from '../components/icons.js';
import { ErrorBox, RelativeTime, useToast } from '../components/ui.js';

const SW_URL = '/sw.js';

/** base64url → bytes, as pushManager.subscribe wants the VAPID public key. */
function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

type PushState = 'loading' | 'unsupported' | 'denied' | 'off' | 'on';

/** "Enable browser notifications": permission, a subscription with the server's VAPID key, test, disable. */
export function BrowserPushCard() {
  const toast = useToast();
  const [state, setState] = useState<PushState>('loading');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    void (async () => {
      if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return live && setState('unsupported');
      if (Notification.permission === 'denied') return live && setState('denied');
      const reg = await navigator.serviceWorker.getRegistration('/');
      const sub = await reg?.pushManager.getSubscription();
      if (live) setState(sub && Notification.permission === 'granted' ? 'on' : 'off');
    })().catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, []);

  const enable = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        setState(permission === 'denied' ? 'denied' : 'off');
        return;
      }
      const reg = await navigator.serviceWorker.register(SW_URL, { scope: '/' });
      await navigator.serviceWorker.ready;
      const { public_key } = await api.webpushPublicKey();
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
      const json = sub.toJSON();
      try {
        await api.webpushSubscribe({ endpoint: sub.endpoint, auth_key: json.keys?.auth ?? '', p256dh_key: json.keys?.p256dh ?? '' });
      } catch (err) {
        await sub.unsubscribe().catch(() => undefined);
        throw err;
      }
      setState('on');
      toast('success', 'Browser notifications enabled');
    } catch (err) {
      setError(`Could not enable browser notifications: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const disable = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const sub = await reg?.pushManager.getSubscription();
      if (sub) {
        try {
          await api.webpushUnsubscribe(sub.endpoint);
        } catch (err) {
          // Already gone on the server (expired, or removed elsewhere): still unsubscribe here.
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
        await sub.unsubscribe();
      }
      setState('off');
      toast('success', 'Browser notifications disabled');
    } catch (err) {
      setError(`Could not disable browser notifications: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const test = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.webpushTest();
      toast('success', 'Test push sent');
    } catch (err) {
      setError(`Could not send a test push: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card channel-card" aria-labelledby="browser-push-head">
      <h2 id="browser-push-head">
        <ChannelIcon method="webpush" /> Browser notifications
      </h2>
      <p className="muted small">
        Notifications sent by browser push appear on this device even when Herald is not open. While a Herald tab is in front, they are not shown: the inbox
        has them.
      </p>
      {error && <ErrorBox>{error}</ErrorBox>}
      {state === 'loading' && <p>Loading…</p>}
      {state === 'unsupported' && <p>This browser does not support push notifications.</p>}
      {state === 'denied' && <p role="status">Notifications are blocked for this site. Allow them in the browser's site settings, then reload.</p>}
      {state === 'off' && (
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void enable()}>
          Enable browser notifications
        </button>
      )}
      {state === 'on' && (
        <div className="row-actions">
          <span className="tag" role="status">
            Enabled in this browser
          </span>
          <button type="button" className="btn" disabled={busy} onClick={() => void test()}>
            Send test push
          </button>
          <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void disable()}>
            Disable browser notifications
          </button>
        </div>
      )}
    </section>
  );
}

const KIND_LABEL: Record<DestinationKind, string> = { slack: 'Slack', teams: 'Microsoft Teams', discord: 'Discord', webhook: 'Webhook', ntfy: 'ntfy' };
const KIND_HINT: Record<DestinationKind, string> = {
  slack: 'An incoming-webhook URL (https://hooks.slack.com/services/…)',
  teams: 'A Workflows webhook URL (…logic.azure.com or …powerplatform.com), or an Office 365 connector URL',
  discord: 'A channel webhook URL (https://discord.com/api/webhooks/…)',
  webhook: 'Any https URL you allow; each request is signed with a secret shown once',
  ntfy: 'A topic URL (https://ntfy.sh/<topic>)',
};

/** The user's own destinations: list, add (a code is sent there), verify, delete. */
export function DestinationsCard({ onChange }: { onChange: () => void }) {
  const toast = useToast();
  const [kinds, setKinds] = useState<DestinationKind[]>();
  const [list, setList] = useState<UserDestination[]>();
  const [error, setError] = useState<string>();
  const [kind, setKind] = useState<DestinationKind>();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<{ id: string; secret: string }>();
  const [codes, setCodes] = useState<Record<string, string>>({});

  const reload = useCallback(async () => {
    const [k, l] = await Promise.all([api.destinationKinds(), api.destinations()]);
    setKinds(k.kinds);
    setList(l);
    setKind((cur) => cur ?? k.kinds[0]);
  }, []);
  useEffect(() => {
    reload().catch((err: unknown) => setError(errorText(err)));
  }, [reload]);

  if (error) return <ErrorBox>Failed to load your destinations: {error}</ErrorBox>;
  // Nothing to offer and nothing to show: the deployment does not let users add destinations.
  if (!kinds || !list || (kinds.length === 0 && list.length === 0)) return null;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!kind) return;
    setBusy(true);
    try {
      const d = await api.createDestination({ kind, url, ...(name.trim() ? { name: name.trim() } : {}) });
      if (d.secret) setSecret({ id: d.id, secret: d.secret });
      setUrl('');
      setName('');
      await reload();
      toast('success', 'Destination added: enter the code it received');
    } catch (err) {
      toast('error', `Failed to add the destination: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const verify = async (e: FormEvent, d: UserDestination) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.verifyDestination(d.id, codes[d.id] ?? '');
      setCodes((c) => ({ ...c, [d.id]: '' }));
      await reload();
      onChange();
      toast('success', 'Destination verified');
    } catch (err) {
      toast('error', `Verification failed: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (d: UserDestination) => {
    setBusy(true);
    try {
      await api.deleteDestination(d.id);
      if (secret?.id === d.id) setSecret(undefined);
      await reload();
      onChange();
      toast('success', 'Destination deleted');
    } catch (err) {
      toast('error', `Failed to delete the destination: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card channel-card" aria-labelledby="destinations-head">
      <h2 id="destinations-head">My destinations</h2>
      <p className="muted small">
        Send your notifications to your own Slack, Teams or Discord channel, a webhook or an ntfy topic. Each gets a verification code first; once verified, choose
        which notifications go there in the table below.
      </p>
      {list.length === 0 ? (
        <p className="muted">No destinations yet.</p>
      ) : (
        <ul className="destination-list">
          {list.map((d) => {
            const label = d.name || KIND_LABEL[d.kind];
            return (
              <li key={d.id} className={`destination destination-${d.status}`} data-destination-id={d.id}>
                <span className="destination-main">
                  <ChannelIcon method={d.channel} kind={d.kind} />
                  <strong>{label}</strong>
                  <span className="muted small">{KIND_LABEL[d.kind]}</span>
                  <code className="small" title="The rest of the URL is a credential and is not shown">
                    {d.url}
                  </code>
                  {d.status === 'active' && (
                    <span className="tag">
                      Active{d.verified_at ? ', verified ' : ''}
                      {d.verified_at && <RelativeTime iso={d.verified_at} />}
                    </span>
                  )}
                  {d.status === 'unverified' && <span className="tag tag-warning">Waiting for its code</span>}
                  {d.status === 'disabled' && <span className="tag tag-danger">Disabled</span>}
                  <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void remove(d)} aria-label={`Delete ${label}`}>
                    Delete
                  </button>
                </span>
                {d.status === 'disabled' && (
                  <p className="alert alert-warning small" role="status">
                    Herald stopped sending here: {d.disabled_reason || 'the destination said it no longer exists'}. Delete it and add it again once it is fixed.
                  </p>
                )}
                {secret?.id === d.id && (
                  <div className="alert alert-info small" role="status">
                    Signing secret (shown only now; requests carry <code>webhook-signature</code>): <code className="secret">{secret.secret}</code>
                  </div>
                )}
                {d.status === 'unverified' && (
                  <form className="row-actions" onSubmit={(e) => void verify(e, d)}>
                    <label className="inline">
                      <span>Code sent to {label}</span>
                      <input
                        inputMode="numeric"
                        autoComplete="one-time-code"
                        value={codes[d.id] ?? ''}
                        onChange={(e) => setCodes((c) => ({ ...c, [d.id]: e.target.value }))}
                        required
                      />
                    </label>
                    <button type="submit" className="btn btn-small btn-primary" disabled={busy}>
                      Verify
                    </button>
                  </form>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {kinds.length > 0 && (
        <form className="destination-form" onSubmit={(e) => void add(e)} aria-label="Add a destination">
          <h3>Add a destination</h3>
          <label>
            Kind
            <select value={kind} onChange={(e) => setKind(e.target.value as DestinationKind)}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name (optional)
            <input value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            URL
            <input type="url" value={url} required onChange={(e) => setUrl(e.target.value)} aria-describedby="destination-url-hint" autoComplete="off" />
          </label>
          <p id="destination-url-hint" className="muted small">
            {kind ? KIND_HINT[kind] : ''}
          </p>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Add and send code
          </button>
        </form>
      )}
    </section>
  );
}
