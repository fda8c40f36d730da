import { useTitle } from './Entities.js';
import { useCallback, useEffect, useState } from 'react';
import { api, errorText, type ConfigOption, type DeliveryMessage, type DispatchMethods, type NotificationTemplate } from '../api.js';
import { Link, useLocation } from '../router.js';
import { ErrorBox, RelativeTime, Switch, useToast } from '../components/ui.js';
import { byGroup, METHOD_LABEL } from './NotificationSettings.js';

const TABS = [
  ['events', 'Events'],
  ['settings', 'Settings'],
  ['troubleshooting', 'Troubleshooting'],
  ['history', 'Delivery history'],
] as const;

export function DeploymentNotificationsPage() {
  useTitle('Deployment notifications');
  const { search } = useLocation();
  const tab = TABS.find(([id]) => id === search.get('tab'))?.[0] ?? 'events';
  return (
    <>
      <h1>Notifications</h1>
      <p className="muted">Control delivery methods for notifications on this deployment.</p>
      <nav className="tabs" aria-label="Notification settings sections">
        {TABS.map(([id, label]) => (
          <Link key={id} to={`/deployment/notifications?tab=${id}`} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'events' && <EventsTab />}
      {tab === 'settings' && <SettingsTab />}
      {tab === 'troubleshooting' && <TroubleshootingTab />}
      {tab === 'history' && <HistoryTab />}
    </>
  );
}

/** Loads data once for a tab, with an error message and a reload function. */
function useLoad<T>(fn: () => Promise<T>): { data?: T; error?: string; reload: () => Promise<void> } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      setData(await fn());
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

const configValue = (options: ConfigOption[], flag: string) => options.find((o) => o.option === flag)?.value;

async function loadTemplates(): Promise<NotificationTemplate[]> {
  const [system, custom] = await Promise.all([api.templates('system'), api.templates('custom')]);
  return [...system, ...custom];
}

function EventsTab() {
  const toast = useToast();
  const { data, error, reload } = useLoad(async () => {
    const [templates, methods, config] = await Promise.all([loadTemplates(), api.dispatchMethods(), api.deploymentConfig()]);
    return { templates, methods, options: config.options };
  });
  const [busy, setBusy] = useState<string>();
  if (error) return <ErrorBox>Failed to load notification templates: {error}</ErrorBox>;
  if (!data) return <p>Loading…</p>;
  const { templates, methods, options } = data;
  const effective = (t: NotificationTemplate) => t.method || methods.default;
  const webhookBroken = !configValue(options, '--notifications-webhook-endpoint') && templates.some((t) => effective(t) === 'webhook');
  const smtpBroken =
    !(configValue(options, '--email-smarthost') && configValue(options, '--email-from') && configValue(options, '--email-hello')) &&
    templates.some((t) => effective(t) === 'smtp');

  const change = async (t: NotificationTemplate, method: string | null) => {
    setBusy(t.id);
    try {
      if (method === null) await api.resetTemplateMethod(t.id);
      else await api.setTemplateMethod(t.id, method);
      await reload();
      toast('success', 'Notification method updated');
    } catch (err) {
      toast('error', `Failed to update the notification method: ${errorText(err)}`);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      {webhookBroken && (
        <div className="alert alert-warning" role="alert">
          Webhook notifications are enabled, but not properly configured. Set <code>--notifications-webhook-endpoint</code>.
        </div>
      )}
      {smtpBroken && (
        <div className="alert alert-warning" role="alert">
          SMTP notifications are enabled but not properly configured. Set <code>--email-smarthost</code>, <code>--email-from</code> and <code>--email-hello</code>.
        </div>
      )}
      <p className="muted">
        The deployment's default method is <strong>{METHOD_LABEL[methods.default] ?? methods.default}</strong>. Every notification is also delivered to the Inbox.
      </p>
      {byGroup(templates).map(([group, ts]) => (
        <section key={group} className="card" aria-label={group}>
          <h2>{group}</h2>
          <ul className="pref-list">
            {ts.map((t) => {
              const current = effective(t);
              const choices = [...methods.available, ...(methods.available.includes(current) ? [] : [current])];
              return (
                <li key={t.id} className="pref-row method-row" data-template-id={t.id}>
                  <span className="pref-name">
                    {t.name}
                    {!t.method && <span className="muted small"> (default)</span>}
                  </span>
                  <MethodRadios t={t} choices={choices} current={current} onSave={(m) => void change(t, m)} />
                  {t.method && (
                    <button
                      type="button"
                      className="link small"
                      onClick={(e) => {
                        if (busy === t.id) return;
                        // The button goes away after the reset: the focus moves to the chosen radio, not to <body>.
                        const li = e.currentTarget.closest('li');
                        void change(t, null).then(() => li?.querySelector<HTMLInputElement>(`input[value="${methods.default}"]`)?.focus());
                      }}
                    >
                      Use default
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </>
  );
}

function formatValue(v: unknown): string {
  if (v === '' || v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function SettingsTab() {
  const { data, error } = useLoad(() => api.deploymentConfig());
  if (error) return <ErrorBox>Failed to load the deployment configuration: {error}</ErrorBox>;
  if (!data) return <p>Loading…</p>;
  const shown = data.options.filter((o) => o.group.name === 'Notifications' || o.group.name === 'Email');
  return (
    <section className="card">
      <h2>Notification configuration</h2>
      <p className="muted">The effective values of this server's notification and e-mail options (set by flags, HERALD_* variables or the YAML file). Secrets are masked.</p>
      <div className="table-wrap">
        <table className="options-table">
          <thead>
            <tr>
              <th scope="col">Option</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((o) => (
              <tr key={o.option}>
                <td>
                  <code>{o.option}</code>
                  <div className="muted small">{o.help}</div>
                  <div className="muted small">
                    <code>{o.env}</code>
                  </div>
                </td>
                <td className="value">{formatValue(o.value) || <span className="muted">not set</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A test message's outcome is final in these states; temporary failures are retried. */
const FINAL = ['sent', 'permanent_failure', 'inhibited'];
const WATCH_MS = 120_000;
const STATUS_TEXT: Record<string, string> = {
  pending: 'Queued',
  leased: 'Sending…',
  sent: 'Sent',
  temporary_failure: 'Failed, will retry',
  permanent_failure: 'Failed',
  inhibited: 'Not sent',
};

/** The messages one test notification enqueued (one per method), watched until each is final. */
function useTestResults(): { results?: DeliveryMessage[]; watching: boolean; send: () => Promise<void> } {
  const [results, setResults] = useState<DeliveryMessage[]>();
  const [watch, setWatch] = useState<{ userId: string; before: Set<string>; until: number }>();
  const mine = async (userId: string) =>
    (await api.messages({ user_id: userId, limit: 50 })).messages.filter((m) => m.created_by === 'send-test-notification');
  const send = async () => {
    const me = await api.me();
    const before = new Set((await mine(me.id)).map((m) => m.id));
    await api.sendTestNotification();
    setResults([]);
    setWatch({ userId: me.id, before, until: Date.now() + WATCH_MS });
  };
  useEffect(() => {
    if (!watch) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const fresh = (await mine(watch.userId)).filter((m) => !watch.before.has(m.id)).sort((a, b) => a.method.localeCompare(b.method));
        if (stop) return;
        setResults(fresh);
        if ((fresh.length && fresh.every((m) => FINAL.includes(m.status))) || Date.now() > watch.until) {
          setWatch(undefined);
          return;
        }
      } catch {
        // A failed poll is retried on the next round.
      }
      if (!stop) timer = setTimeout(() => void poll(), 1000);
    };
    void poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [watch]);
  return { results, watching: !!watch, send };
}

function TroubleshootingTab() {
  const toast = useToast();
  const [sending, setSending] = useState(false);
  const { data: settings, error, reload } = useLoad(() => api.notifierSettings());
  const test = useTestResults();
  const send = async () => {
    setSending(true);
    try {
      await test.send();
      toast('success', 'Test notification sent');
    } catch (err) {
      toast('error', `Failed to send test notification: ${errorText(err)}`);
    } finally {
      setSending(false);
    }
  };
  const setPaused = async (paused: boolean) => {
    try {
      await api.updateNotifierSettings(paused);
      await reload();
      toast('success', paused ? 'Notification delivery paused' : 'Notification delivery resumed');
    } catch (err) {
      toast('error', `Failed to change the dispatcher: ${errorText(err)}`);
    }
  };
  return (
    <>
      <section className="card">
        <h2>Test notification</h2>
        <p>Send a test notification to troubleshoot your notification settings.</p>
        <p className="muted">
          It goes to you through every configured method (and the method chosen for it, if any); the result of each method
          shows below and in the <Link to="/deployment/notifications?tab=history">delivery history</Link>.
        </p>
        <button type="button" className="btn btn-primary" disabled={sending} onClick={() => void send()}>
          {sending ? 'Sending…' : 'Send notification'}
        </button>
        {test.results && (
          <div className="test-results" aria-live="polite">
            <h3>Results by method</h3>
            {test.results.length === 0 && <p className="muted">{test.watching ? 'Waiting for the messages…' : 'No method is configured: nothing was sent.'}</p>}
            {test.results.length > 0 && (
              <div className="table-wrap">
                <table className="history-table" aria-label="Test notification results">
                  <thead>
                    <tr>
                      <th scope="col">Method</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {test.results.map((m) => (
                      <tr key={m.id} data-method={m.method} data-status={m.status}>
                        <td>{METHOD_LABEL[m.method] ?? m.method}</td>
                        <td>
                          <span className={`status status-${m.status}`}>{STATUS_TEXT[m.status] ?? m.status.replace('_', ' ')}</span>
                        </td>
                        <td>{m.attempt_count}</td>
                        <td>{m.status === 'sent' ? '' : m.status_reason ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {test.watching && test.results.length > 0 && <p className="muted">Watching until every method has a final result…</p>}
          </div>
        )}
      </section>
      <section className="card">
        <h2>Dispatcher</h2>
        {error && <ErrorBox>{error}</ErrorBox>}
        {settings && (
          <div className="pref-row">
            <span className="pref-name">{settings.notifier_paused ? 'Delivery is paused: notifications queue up until it resumes.' : 'Notifications are being delivered.'}</span>
            <Switch label="Deliver notifications" checked={!settings.notifier_paused} onChange={(on) => void setPaused(!on)} />
          </div>
        )}
      </section>
    </>
  );
}

const STATUSES = ['pending', 'leased', 'sent', 'temporary_failure', 'permanent_failure', 'inhibited', 'unknown'];
const PAGE = 25;

function HistoryTab() {
  const [filters, setFilters] = useState({ status: '', method: '', template_id: '' });
  const [offset, setOffset] = useState(0);
  const [live, setLive] = useState(true);
  const [result, setResult] = useState<{ messages: DeliveryMessage[]; count: number }>();
  const [error, setError] = useState<string>();
  const { data: templates } = useLoad(loadTemplates);

  const load = useCallback(async () => {
    try {
      setResult(await api.messages({ ...filters, limit: PAGE, offset }));
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, [filters, offset]);

  useEffect(() => {
    void load();
    if (!live) return;
    const h = setInterval(() => void load(), 2000);
    return () => clearInterval(h);
  }, [load, live]);

  const setFilter = (k: keyof typeof filters) => (e: { target: { value: string } }) => {
    setOffset(0);
    setFilters((f) => ({ ...f, [k]: e.target.value }));
  };
  const count = result?.count ?? 0;
  return (
    <section className="card">
      <h2>Delivery history</h2>
      <div className="filters">
        <label>
          Status
          <select name="status" value={filters.status} onChange={setFilter('status')}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Method
          <select name="method" value={filters.method} onChange={setFilter('method')}>
            <option value="">All</option>
            {Object.entries(METHOD_LABEL).map(([m, l]) => (
              <option key={m} value={m}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Notification
          <select name="template_id" value={filters.template_id} onChange={setFilter('template_id')}>
            <option value="">All</option>
            {[...(templates ?? [])]
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          Live refresh
        </label>
      </div>
      {error && <ErrorBox>Failed to load the delivery history: {error}</ErrorBox>}
      {result && result.messages.length === 0 && <p className="muted">No messages match these filters.</p>}
      {result && result.messages.length > 0 && (
        <div className="table-wrap">
          <table className="history-table">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Notification</th>
                <th scope="col">Recipient</th>
                <th scope="col">Method</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {result.messages.map((m) => (
                <tr key={m.id} data-message-id={m.id}>
                  <td>
                    {m.created_at && <RelativeTime iso={m.created_at} />}
                  </td>
                  <td>{m.template_name}</td>
                  <td>{m.username}</td>
                  <td>{METHOD_LABEL[m.method] ?? m.method}</td>
                  <td>
                    <span className={`status status-${m.status}`}>{m.status.replace('_', ' ')}</span>
                  </td>
                  <td className="num">{m.attempt_count}</td>
                  <td className="reason">{m.status_reason || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {count > PAGE && (
        <div className="pager">
          <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <span className="muted">
            {offset + 1}–{Math.min(offset + PAGE, count)} of {count}
          </span>
          <button type="button" className="btn btn-small" disabled={offset + PAGE >= count} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </div>
      )}
    </section>
  );
}

/**
 * A template's method as radios. Arrow keys only move the choice; Enter or Space (or a click) saves,
 * so walking through the options does not save each one. The radios stay enabled while saving so
 * the focus stays where it was.
 */
function MethodRadios({ t, choices, current, onSave }: { t: NotificationTemplate; choices: string[]; current: string; onSave: (m: string) => void }) {
  const [pending, setPending] = useState(current);
  useEffect(() => setPending(current), [current]);
  const save = (m: string) => {
    if (m !== current) onSave(m);
  };
  const hintId = `method-hint-${t.id}`;
  return (
    <fieldset className="segmented" aria-describedby={hintId}>
      <legend className="sr-only">Delivery method for {t.name}</legend>
      <span id={hintId} className="sr-only">
        Arrow keys choose, Enter saves.
      </span>
      {choices.map((m) => (
        <label
          key={m}
          className={pending === m ? 'selected' : undefined}
          // A pointer click has detail > 0; the click an arrow key fires has 0.
          onClick={(e) => e.detail > 0 && save(m)}
        >
          <input
            type="radio"
            name={`method-${t.id}`}
            value={m}
            checked={pending === m}
            onChange={() => setPending(m)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                save(pending);
              }
            }}
          />
          {METHOD_LABEL[m] ?? m}
        </label>
      ))}
      {pending !== current && <span className="muted small"> Press Enter to save</span>}
    </fieldset>
  );
}
