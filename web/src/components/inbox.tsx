// The inbox's shared pieces: the list state with live updates (used by the bell and the full page),
// and one item with its actions (read/unread, archive, snooze).
import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import {
  api,
  errorText,
  INBOX_PAGE_SIZE,
  inboxWatchUrl,
  type InboxFrame,
  type InboxKind,
  type InboxNotification,
} from '../api.js';
import { isInternal, navigate } from '../router.js';
import { FlaskIcon, InfoIcon, LaptopIcon, MessageIcon, TaskIcon, TemplateIcon, UserIcon } from './icons.js';
import { Markdown, RelativeTime, useToast } from './ui.js';

export const SOCKET_ERROR = 'Unable to retrieve latest inbox notifications. Please try refreshing the browser.';

export type InboxTab = 'all' | 'unread' | 'archived';
export interface InboxView {
  tab: InboxTab;
  kind: InboxKind | '';
  q: string;
}

export const KIND_LABEL: Record<InboxKind, string> = {
  workspace: 'Workspaces',
  task: 'Tasks',
  template: 'Templates',
  user: 'Users',
  custom: 'Custom',
  test: 'Test',
  other: 'Other',
};

/** Newest first, one entry per id (later copies win: they carry the newest state). */
function merge(a: InboxNotification[], b: InboxNotification[]): InboxNotification[] {
  const byId = new Map(a.map((n) => [n.id, n]));
  for (const n of b) byId.set(n.id, n);
  return [...byId.values()].sort((x, y) => y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id));
}

/** Whether a row belongs in the view (the same rules the server's filters apply). */
export function inView(n: InboxNotification, view: InboxView, now = Date.now()): boolean {
  if (view.tab === 'archived' ? !n.archived_at : !!n.archived_at) return false;
  if (n.snoozed_until && new Date(n.snoozed_until).getTime() > now) return false;
  if (view.tab === 'unread' && n.read_at) return false;
  if (view.kind && n.kind !== view.kind) return false;
  const text = `${n.title}\n${n.content}`.toLowerCase();
  return view.q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}

function query(view: InboxView) {
  return {
    archived: view.tab === 'archived' ? 'true' : 'false',
    read_status: view.tab === 'unread' ? 'unread' : undefined,
    kinds: view.kind || undefined,
    q: view.q.trim() || undefined,
  };
}

/**
 * One view of the inbox: its first page, older pages on demand, and the watch socket (with the
 * user's own changes from other tabs, `updates=true`). After a reconnect the first page is reloaded
 * so nothing that happened in between is missed.
 */
export function useInbox(view: InboxView) {
  const toast = useToast();
  const [items, setItems] = useState<InboxNotification[]>([]);
  const [unread, setUnread] = useState(0);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [loadError, setLoadError] = useState<string>();
  const [socketDown, setSocketDown] = useState(false);
  const reconnectNow = useRef<() => void>(() => undefined);
  const moreInFlight = useRef(false);
  const viewRef = useRef(view);
  viewRef.current = view;
  const key = `${view.tab}|${view.kind}|${view.q}`;

  const load = useCallback(async (reset: boolean) => {
    const v = viewRef.current;
    if (reset) setLoading(true);
    try {
      const page = await api.inbox(undefined, query(v));
      if (viewRef.current !== v && reset) return;
      setItems((prev) => (reset ? page.notifications : merge(prev.filter((n) => inView(n, v)), page.notifications)));
      setUnread(page.unread_count);
      if (reset) setHasMore(page.notifications.length === INBOX_PAGE_SIZE);
      setLoadError(undefined);
    } catch (err) {
      setLoadError(`Failed to load notifications: ${errorText(err)}`);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(true);
  }, [key, load]);

  useEffect(() => {
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stable: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    let reported = false;
    const connect = () => {
      clearTimeout(timer);
      ws = new WebSocket(inboxWatchUrl({ updates: 'true' }));
      ws.onopen = () => {
        if (attempt > 0) void load(false);
        // The back-off starts over only once a connection has lasted a while.
        stable = setTimeout(() => (attempt = 0), 5000);
        reported = false;
        setSocketDown(false);
      };
      ws.onmessage = (e) => {
        let frame: InboxFrame;
        try {
          frame = JSON.parse(String(e.data)) as InboxFrame;
        } catch {
          return;
        }
        const n = frame.notification;
        const v = viewRef.current;
        if (frame.event === 'read_all') {
          const now = new Date().toISOString();
          setItems((prev) => prev.map((x) => (x.read_at ? x : { ...x, read_at: now })).filter((x) => inView(x, v)));
        } else if (n) {
          setItems((prev) => (inView(n, v) ? merge(prev, [n]) : prev.filter((x) => x.id !== n.id)));
        }
        if (typeof frame.unread_count === 'number') setUnread(frame.unread_count);
      };
      ws.onclose = () => {
        clearTimeout(stable);
        if (stopped) return;
        setSocketDown(true);
        if (!reported) {
          reported = true;
          toast('error', SOCKET_ERROR);
        }
        attempt++;
        timer = setTimeout(connect, Math.min(15_000, 1000 * 2 ** (attempt - 1)));
      };
    };
    reconnectNow.current = () => {
      if (ws) ws.onclose = null;
      ws?.close();
      attempt = Math.max(attempt, 1);
      connect();
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(stable);
      ws?.close();
    };
  }, [load, toast]);

  /** Applies a changed row from an answer (the watch brings the same change to other tabs). */
  const apply = (r: { notification: InboxNotification; unread_count: number }) => {
    setItems((prev) => (inView(r.notification, viewRef.current) ? merge(prev, [r.notification]) : prev.filter((x) => x.id !== r.notification.id)));
    setUnread(r.unread_count);
  };
  const act = async (what: string, fn: () => Promise<{ notification: InboxNotification; unread_count: number }>) => {
    try {
      apply(await fn());
      return true;
    } catch (err) {
      toast('error', `Failed to ${what}: ${errorText(err)}`);
      return false;
    }
  };

  return {
    items,
    unread,
    hasMore,
    loading,
    loadingMore,
    loadError,
    socketDown,
    retry: () => void load(true),
    reconnect: () => reconnectNow.current(),
    setRead: (n: InboxNotification, read: boolean) => act(read ? 'mark the notification as read' : 'mark the notification as unread', () => api.markRead(n.id, read)),
    archive: (n: InboxNotification, archived: boolean) => act(archived ? 'archive the notification' : 'move the notification to the inbox', () => api.archive(n.id, archived)),
    snooze: (n: InboxNotification, until: Date) => act('snooze the notification', () => api.snooze(n.id, until.toISOString())),
    async markAllRead() {
      try {
        await api.markAllRead();
        const now = new Date().toISOString();
        setItems((prev) => prev.map((x) => (x.read_at ? x : { ...x, read_at: now })).filter((x) => inView(x, viewRef.current)));
        setUnread(0);
      } catch (err) {
        toast('error', `Failed to mark all notifications as read: ${errorText(err)}`);
      }
    },
    async loadMore() {
      const last = items[items.length - 1];
      if (!last || moreInFlight.current) return;
      moreInFlight.current = true;
      setLoadingMore(true);
      try {
        const page = await api.inbox(last.id, query(viewRef.current));
        setItems((prev) => merge(prev, page.notifications));
        setHasMore(page.notifications.length === INBOX_PAGE_SIZE);
      } catch (err) {
        toast('error', `Failed to load more notifications: ${errorText(err)}`);
      } finally {
        moreInFlight.current = false;
        setLoadingMore(false);
      }
    },
  };
}
export type Inbox = ReturnType<typeof useInbox>;

/** Snooze choices: an hour, tomorrow 9:00 and next Monday 9:00 (local time). */
export function snoozeChoices(now = new Date()): { label: string; until: Date }[] {
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const monday = new Date(now);
  monday.setDate(now.getDate() + (((8 - now.getDay()) % 7) || 7));
  monday.setHours(9, 0, 0, 0);
  return [
    { label: '1 hour', until: new Date(now.getTime() + 3600_000) },
    { label: 'Tomorrow', until: tomorrow },
    { label: 'Next week', until: monday },
  ];
}

function NotificationIcon({ n }: { n: InboxNotification }) {
  const icon = n.icon;
  if (/^(https?:\/\/|\/)/.test(icon)) return <img src={icon} alt="" width={20} height={20} />;
  if (icon === 'DEFAULT_ICON_WORKSPACE' || n.kind === 'workspace') return <LaptopIcon />;
  if (icon === 'DEFAULT_ICON_ACCOUNT' || n.kind === 'user') return <UserIcon />;
  if (icon === 'DEFAULT_ICON_TEMPLATE' || n.kind === 'template') return <TemplateIcon />;
  if (n.kind === 'task') return <TaskIcon />;
  if (n.kind === 'custom') return <MessageIcon />;
  if (n.kind === 'test') return <FlaskIcon />;
  return <InfoIcon />;
}


/** Moves the focus to the next item's first control (or the list) before an item leaves the list. */
function focusAfterRemoval(li: HTMLElement | null) {
  const next = (li?.nextElementSibling ?? li?.previousElementSibling) as HTMLElement | null;
  const target = next?.querySelector<HTMLElement>('button, a[href]') ?? (li?.closest('[data-inbox-root]') as HTMLElement | null);
  target?.focus();
}

export function InboxItem({ n, inbox, onFollow }: { n: InboxNotification; inbox: Inbox; onFollow?: () => void }) {
  const unread = !n.read_at;
  const li = useRef<HTMLLIElement>(null);
  const [snoozing, setSnoozing] = useState(false);
  const [expanded, setExpanded] = useState(false);
  // A grouped message (issue 19) is one item that expands to the events it stands for.
  const group = n.group;
  const titleId = `inbox-title-${n.id}`;
  const follow = async (e: MouseEvent<HTMLAnchorElement>, url: string) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) {
      if (unread) void inbox.setRead(n, true);
      return;
    }
    e.preventDefault();
    if (unread) await inbox.setRead(n, true);
    onFollow?.();
    if (isInternal(url)) {
      const u = new URL(url, location.href);
      navigate(u.pathname + u.search + u.hash);
    } else {
      location.assign(url);
    }
  };
  const leave = async (fn: () => Promise<boolean>) => {
    const el = li.current;
    focusAfterRemoval(el);
    await fn();
  };
  return (
    <li ref={li} className={`inbox-item${unread ? ' unread' : ''}`} data-testid="inbox-item" aria-labelledby={titleId}>
      <span className="inbox-avatar" aria-hidden="true" data-kind={n.kind}>
        <NotificationIcon n={n} />
      </span>
      <div className="inbox-body">
        <p className="inbox-title" id={titleId}>
          {unread && <span className="visually-hidden">Unread: </span>}
          {n.title}
        </p>
        <Markdown source={n.content} />
        {group && group.events.length > 0 && (
          <div className="inbox-group">
            <button type="button" className="link" aria-expanded={expanded} onClick={() => setExpanded((x) => !x)}>
              {expanded ? 'Hide' : 'Show'} {group.count} events
            </button>
            {expanded && (
              <ul className="inbox-group-events" aria-label={`${group.count} grouped events`}>
                {group.events.map((ev, i) => (
                  <li key={i}>
                    {ev.title} <RelativeTime iso={ev.created_at} />
                  </li>
                ))}
                {group.count > group.events.length && <li className="muted">and {group.count - group.events.length} more</li>}
              </ul>
            )}
          </div>
        )}
        {n.actions.length > 0 && (
          <div className="inbox-actions">
            {n.actions.map((a) => (
              <a key={a.label + a.url} className="btn btn-small" href={a.url} onClick={(e) => void follow(e, a.url)}>
                {a.label}
              </a>
            ))}
          </div>
        )}
        <div className="inbox-item-buttons">
          {/* One button whose label flips, so the focus stays on it after the save. */}
          <button type="button" className="btn btn-small" onClick={() => void inbox.setRead(n, unread)}>
            {unread && <span className="unread-dot" aria-hidden="true" />}
            {unread ? 'Mark as read' : 'Mark as unread'}
          </button>
          {!n.archived_at && (
            <button type="button" className="btn btn-small" aria-expanded={snoozing} onClick={() => setSnoozing((x) => !x)}>
              Snooze
            </button>
          )}
          <button type="button" className="btn btn-small" onClick={() => void leave(() => inbox.archive(n, !n.archived_at))}>
            {n.archived_at ? 'Unarchive' : 'Archive'}
          </button>
        </div>
        {snoozing && (
          <div className="inbox-snooze" role="group" aria-label="Snooze until">
            {snoozeChoices().map((c) => (
              <button key={c.label} type="button" className="btn btn-small" onClick={() => void leave(() => inbox.snooze(n, c.until))}>
                {c.label}
              </button>
            ))}
            <button type="button" className="link" onClick={() => setSnoozing(false)}>
              Cancel
            </button>
          </div>
        )}
      </div>
      <div className="inbox-meta">
        <RelativeTime iso={n.created_at} />
      </div>
    </li>
  );
}

/** Tabs, the kind filter, and the list with its empty, loading and error states. */
export function InboxListView({
  inbox,
  view,
  setView,
  onFollow,
  idPrefix,
}: {
  inbox: Inbox;
  view: InboxView;
  setView: (v: InboxView) => void;
  onFollow?: () => void;
  idPrefix: string;
}) {
  // Infinite scroll: the next page loads when the end of the list comes into view ("Load more" stays
  // for the keyboard and for browsers without IntersectionObserver).
  const sentinel = useRef<HTMLLIElement>(null);
  const { hasMore, loadMore } = inbox;
  const more = useRef(loadMore);
  more.current = loadMore;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void more.current();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore, inbox.items.length]);
  const tabs: [InboxTab, string][] = [
    ['all', 'All'],
    ['unread', 'Unread'],
    ['archived', 'Archived'],
  ];
  return (
    <>
      <div className="inbox-filters">
        <div className="inbox-tabs" role="group" aria-label="Show">
          {tabs.map(([t, label]) => (
            <button key={t} type="button" className="inbox-tab" aria-pressed={view.tab === t} onClick={() => setView({ ...view, tab: t })}>
              {label}
            </button>
          ))}
        </div>
        <label className="inbox-kind">
          <span className="visually-hidden">Kind</span>
          <select id={`${idPrefix}-kind`} aria-label="Kind" value={view.kind} onChange={(e) => setView({ ...view, kind: e.target.value as InboxKind | '' })}>
            <option value="">All kinds</option>
            {(Object.keys(KIND_LABEL) as InboxKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {inbox.socketDown && (
        <div className="alert alert-error inbox-alert" role="alert">
          {SOCKET_ERROR}{' '}
          <button type="button" className="link" onClick={inbox.reconnect}>
            Retry now
          </button>
        </div>
      )}
      {inbox.loadError ? (
        <div className="alert alert-error inbox-alert" role="alert">
          {inbox.loadError}{' '}
          <button type="button" className="btn btn-small" onClick={inbox.retry}>
            Retry
          </button>
        </div>
      ) : inbox.loading ? (
        <p className="inbox-empty" role="status">
          Loading…
        </p>
      ) : inbox.items.length === 0 ? (
        <div className="inbox-empty">
          <strong>{view.tab === 'archived' ? 'No archived notifications' : view.tab === 'unread' ? 'No unread notifications' : 'No notifications'}</strong>
          <p>{view.q || view.kind ? 'Nothing matches these filters.' : 'New notifications will be displayed here.'}</p>
        </div>
      ) : (
        <ul className="inbox-list" aria-label="Notifications">
          {inbox.items.map((n) => (
            <InboxItem key={n.id} n={n} inbox={inbox} onFollow={onFollow} />
          ))}
          {hasMore && <li ref={sentinel} className="inbox-sentinel" aria-hidden="true" />}
        </ul>
      )}
      {inbox.hasMore && inbox.items.length > 0 && !inbox.loadError && (
        <div className="inbox-footer">
          <button type="button" className="btn btn-small" disabled={inbox.loadingMore} onClick={() => void inbox.loadMore()}>
            {inbox.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
