import { useTitle } from './Entities.js';
import { useEffect, useRef, useState } from 'react';
import { api, errorText, type ChannelPreferences, type DispatchMethods, type NotificationTemplate, type Preference, type User } from '../api.js';
import { useLocation } from '../router.js';
import { hasRole, useSession } from '../session.js';
import { ChannelIcon } from '../components/icons.js';
import { BrowserPushCard, DestinationsCard } from './MyChannels.js';
import { ErrorBox, Switch, useToast } from '../components/ui.js';

/** Which groups a user sees, as in the reference: admin-only groups need the matching role. */
export function groupVisible(group: string, user: User): boolean {
  switch (group) {
    case 'Template Events':
      return hasRole(user, 'owner', 'template-admin');
    case 'User Events':
      return hasRole(user, 'owner', 'user-admin');
    case 'Workspace Events':
    case 'Task Events':
    case 'Custom Events':
      return true;
    default:
      return false;
  }
}

/** Templates grouped by group, groups and templates sorted by name. */
export function byGroup(templates: NotificationTemplate[]): [string, NotificationTemplate[]][] {
  const groups = new Map<string, NotificationTemplate[]>();
  for (const t of templates) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, ts]) => [g, ts.sort((a, b) => a.name.localeCompare(b.name))]);
}

export const METHOD_LABEL: Record<string, string> = {
  smtp: 'SMTP',
  webhook: 'Webhook',
  inbox: 'Inbox',
  slack: 'Slack',
  teams: 'Microsoft Teams',
  discord: 'Discord',
  webpush: 'Browser push',
  destination: 'User destinations',
};

export function MethodIcon({ method, kind, label: name }: { method: string; kind?: string; label?: string }) {
  const label = `Delivery via ${name ?? METHOD_LABEL[method] ?? method}`;
  return (
    <span className="method-icon" title={label} aria-label={label} role="img" data-method={kind ?? method}>
      <ChannelIcon method={method} kind={kind} />
    </span>
  );
}

const toMap = (prefs: Preference[]) => Object.fromEntries(prefs.map((p) => [p.id, p.disabled]));

export function NotificationSettingsPage() {
  useTitle('Notification settings');
  const { user } = useSession();
  const toast = useToast();
  const { search } = useLocation();
  const [templates, setTemplates] = useState<NotificationTemplate[]>();
  const [disabled, setDisabled] = useState<Record<string, boolean>>({});
  const [methods, setMethods] = useState<DispatchMethods>();
  const [error, setError] = useState<string>();
  const [justDisabled, setJustDisabled] = useState<string>();
  const [refusedCritical, setRefusedCritical] = useState<string>();
  const [channels, setChannels] = useState<ChannelPreferences>();
  // A save in flight ignores further clicks; the controls stay enabled so the focus stays on them.
  const saving = useRef(false);
  const disableParam = search.get('disabled');

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        // The e-mail footer's link: disable that template first, then show the page. A critical
        // notification cannot be disabled (its e-mails carry no such link; an old one is refused).
        const [system, custom] = await Promise.all([api.templates('system'), api.templates('custom')]);
        const critical = disableParam ? [...system, ...custom].find((t) => t.id === disableParam && t.critical) : undefined;
        if (critical) {
          setRefusedCritical(critical.name);
        } else if (disableParam) {
          try {
            await api.updatePreferences({ [disableParam]: true });
            setJustDisabled(disableParam);
            toast('success', 'Notification has been disabled');
          } catch (err) {
            toast('error', `Failed to disable the notification: ${errorText(err)}`);
          }
        }
        const [prefs, m, ch] = await Promise.all([api.preferences(), api.dispatchMethods(), api.channelPreferences()]);
        if (!live) return;
        setChannels(ch);
        setTemplates([...system, ...custom]);
        setDisabled(toMap(prefs));
        setMethods(m);
      } catch (err) {
        if (live) setError(errorText(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [disableParam, toast]);

  const isDisabled = (t: NotificationTemplate) => !t.critical && (disabled[t.id] ?? !t.enabled_by_default);

  const update = async (map: Record<string, boolean>) => {
    if (saving.current) return;
    saving.current = true;
    try {
      setDisabled(toMap(await api.updatePreferences(map)));
      // "Off" means every channel off: the grid follows.
      setChannels(await api.channelPreferences());
      toast('success', 'Notification preferences updated');
    } catch (err) {
      toast('error', `Failed to update notification preferences: ${errorText(err)}`);
    } finally {
      saving.current = false;
    }
  };

  const updateChannel = async (templateId: string, method: string, on: boolean) => {
    if (saving.current) return;
    saving.current = true;
    try {
      setChannels(await api.updateChannelPreferences({ [templateId]: { [method]: on } }));
      setDisabled(toMap(await api.preferences()));
      toast('success', 'Notification preferences updated');
    } catch (err) {
      toast('error', `Failed to update notification preferences: ${errorText(err)}`);
    } finally {
      saving.current = false;
    }
  };
  const channelsOf = (id: string) => channels?.templates.find((t) => t.id === id);

  const groups = templates ? byGroup(templates).filter(([g]) => groupVisible(g, user)) : [];
  const disabledName = justDisabled && templates?.find((t) => t.id === justDisabled)?.name;
  return (
    <>
      <h1>Notifications</h1>
      <p className="muted">Control which notifications you receive.</p>
      {justDisabled && (
        <div className="alert alert-success" role="status">
          Notification has been disabled{disabledName ? `: you will no longer receive “${disabledName}” notifications.` : '.'}
        </div>
      )}
      {refusedCritical && (
        <div className="alert alert-info" role="status">
          “{refusedCritical}” is a critical notification and cannot be turned off.
        </div>
      )}
      {error && <ErrorBox>Failed to load notification settings: {error}</ErrorBox>}
      <BrowserPushCard />
      <DestinationsCard onChange={() => void api.channelPreferences().then(setChannels, () => undefined)} />
      {!templates && !error && <p>Loading…</p>}
      {groups.map(([group, ts]) => {
        const headId = `group-${group.replace(/\W+/g, '-').toLowerCase()}`;
        return (
          <section key={group} className="card pref-group" aria-labelledby={headId}>
            <div className="pref-row pref-group-head">
              <h2 id={headId}>{group}</h2>
              {channels && (
                <span className="pref-channel-heads" aria-hidden="true">
                  {channels.channels.map((c) => (
                    <span key={c.method} className="pref-channel-head" title={c.label}>
                      <ChannelIcon method={c.method} kind={c.kind} />
                      <span className="pref-channel-label">{c.label}</span>
                    </span>
                  ))}
                </span>
              )}
              <Switch
                label={`All ${group}`}
                checked={ts.every((t) => !isDisabled(t))}
                disabled={ts.every((t) => t.critical)}
                onChange={(on) => void update(Object.fromEntries(ts.filter((t) => !t.critical).map((t) => [t.id, !on])))}
              />
            </div>
            <ul className="pref-list">
              {ts.map((t) => (
                <li key={t.id} className="pref-row" data-template-id={t.id}>
                  <span className="pref-name">
                    {t.name}
                    {t.critical && (
                      <span className="tag" title="Critical notifications cannot be turned off">
                        Required
                      </span>
                    )}
                  </span>
                  <MethodIcon method={t.method || methods?.default || 'smtp'} />
                  {channels && <ChannelCells name={t.name} all={channels.channels} pref={channelsOf(t.id)} onChange={(m, on) => void updateChannel(t.id, m, on)} />}
                  <Switch label={t.name} checked={!isDisabled(t)} disabled={t.critical} onChange={(on) => void update({ [t.id]: !on })} />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </>
  );
}

type ChannelPref = ChannelPreferences['templates'][number];

/** One row of the template × channel grid: a checkbox per channel the template is delivered through. */
function ChannelCells({ name, all, pref, onChange }: { name: string; all: ChannelPreferences['channels']; pref?: ChannelPref; onChange: (method: string, on: boolean) => void }) {
  return (
    <span className="pref-channels" role="group" aria-label={`${name}: channels`}>
      {all.map((c) => {
        const available = !!pref?.available.includes(c.method);
        if (!available) {
          return (
            <span key={c.method} className="pref-channel muted" title={`Not delivered through ${c.label}`}>
              <span aria-hidden="true">—</span>
              <span className="visually-hidden">{`${name} is not delivered through ${c.label}`}</span>
            </span>
          );
        }
        return (
          <span key={c.method} className="pref-channel">
            <input
              type="checkbox"
              aria-label={`${name} via ${c.label}`}
              checked={pref?.locked ? true : !!pref?.channels[c.method]}
              disabled={pref?.locked}
              onChange={(e) => onChange(c.method, e.target.checked)}
            />
          </span>
        );
      })}
    </span>
  );
}
