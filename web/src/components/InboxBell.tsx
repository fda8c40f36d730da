// The navbar's Inbox: unread badge, a popover with the list, and live updates over the watch socket.
import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { api, errorText, inboxWatchUrl, INBOX_PAGE_SIZE, type InboxFrame, type InboxNotification } from '../api.js';
import { isInternal, Link, navigate } from '../router.js';
import { BellIcon, InfoIcon, LaptopIcon, SettingsIcon, TemplateIcon, UserIcon } from './icons.js';
import { Markdown, RelativeTime, useToast } from './ui.js';

export const SOCKET_ERROR = 'Unable to retrieve latest inbox notifications. Please try refreshing the browser.';

/** Newest first, one entry per id (later copies win: they carry the newest read state). */
function merge(a: InboxNotification[], b: InboxNotification[]): InboxNotification[] {
  const byId = new Map(a.map((n) => [n.id, n]));
  for (const n of b) byId.set(n.id, n);
  return [...byId.values()].sort((x, y) => y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id));
}

export const badgeText = (n: number) => (n > 99 ? '99+' : String(n));

function NotificationIcon({ icon }: { icon: string }) {
  switch (icon) {
    case 'DEFAULT_ICON_WORKSPACE':
      return <LaptopIcon />;
    case 'DEFAULT_ICON_ACCOUNT':
      return <UserIcon />;
    case 'DEFAULT_ICON_TEMPLATE':
      return <TemplateIcon />;
    default:
      return /^(https?:\/\/|\/)/.test(icon) ? <img src={icon} alt="" width={20} height={20} /> : <InfoIcon />;
  }
}

function InboxItem({ n, onMarkRead }: { n: InboxNotification; onMarkRead: (n: InboxNotification) => Promise<void> }) {
  const unread = !n.read_at;
  const follow = async (e: MouseEvent<HTMLAnchorElement>, url: string) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) {
      void onMarkRead(n);
      return;
    }
    e.preventDefault();
    await onMarkRead(n);
    if (isInternal(url)) {
      const u = new URL(url, location.href);
      navigate(u.pathname + u.search + u.hash);
    } else {
      location.assign(url);
    }
  };
  return (
    <li className={`inbox-item${unread ? ' unread' : ''}`} data-testid="inbox-item">
      <span className="inbox-avatar">
        <NotificationIcon icon={n.icon} />
      </span>
      <div className="inbox-body">
        <Markdown source={n.content} />
        {n.actions.length > 0 && (
          <div className="inbox-actions">
            {n.actions.map((a) => (
              <a key={a.label + a.url} className="btn btn-small" href={a.url} onClick={(e) => void follow(e, a.url)}>
                {a.label}
              </a>
            ))}
          </div>
        )}
      </div>
      <div className="inbox-meta">
        <RelativeTime iso={n.created_at} />
        {unread && (
          <button type="button" className="mark-read" aria-label="Mark as read" title="Mark as read" onClick={() => void onMarkRead(n)}>
            <span className="unread-dot" aria-hidden="true" />
            <span className="mark-read-text">Mark as read</span>
          </button>
        )}
      </div>
    </li>
  );
}

export function InboxBell() {
  const toast = useToast();
  const [items, setItems] = useState<InboxNotification[]>([]);
  const [unread, setUnread] = useState(0);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [loadError, setLoadError] = useState<string>();
  const [socketDown, setSocketDown] = useState(false);
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const bell = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const reconnectNow = useRef<() => void>(() => undefined);

  const loadFirst = useCallback(async (initial: boolean) => {
    try {
      const page = await api.inbox();
      setItems((prev) => merge(prev, page.notifications));
      setUnread(page.unread_count);
      if (initial) setHasMore(page.notifications.length === INBOX_PAGE_SIZE);
      setLoadError(undefined);
    } catch (err) {
      setLoadError(`Failed to load notifications: ${errorText(err)}`);
    } finally {
      setLoading(false);
    }
  }, []);

  // Live updates: new items are prepended and carry the unread count. On a failure the error is shown
  // and the socket reconnects with back-off; after a reconnect the first page is reloaded so nothing
  // that arrived in between is missed.
  useEffect(() => {
    void loadFirst(true);
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stable: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    let reported = false;
    const connect = () => {
      clearTimeout(timer);
      ws = new WebSocket(inboxWatchUrl());
      ws.onopen = () => {
        if (attempt > 0) void loadFirst(false);
        // The back-off starts over only once a connection has lasted a while.
        stable = setTimeout(() => (attempt = 0), 5000);
        reported = false;
        setSocketDown(false);
      };
      ws.onmessage = (e) => {
        try {
          const frame = JSON.parse(String(e.data)) as InboxFrame;
          const n = frame.notification;
          if (n) setItems((prev) => merge(prev, [n]));
          if (typeof frame.unread_count === 'number') setUnread(frame.unread_count);
        } catch {
          // not a notification frame
        }
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
  }, [loadFirst, toast]);

  // Escape and a click outside close the popover; focus goes into it on open and back to the bell.
  useEffect(() => {
    if (!open) return;
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        bell.current?.focus();
      }
    };
    const onDown = (e: globalThis.MouseEvent) => {
      if (!wrapper.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);

  const markRead = async (n: InboxNotification) => {
    if (n.read_at) return;
    try {
      const r = await api.markRead(n.id, true);
      const updated = r?.notification ?? { ...n, read_at: new Date().toISOString() };
      setItems((prev) => prev.map((x) => (x.id === n.id ? updated : x)));
      if (typeof r?.unread_count === 'number') setUnread(r.unread_count);
      else setUnread((u) => Math.max(0, u - 1));
    } catch (err) {
      toast('error', `Failed to mark the notification as read: ${errorText(err)}`);
    }
  };

  const markAllRead = async () => {
    try {
      await api.markAllRead();
      const now = new Date().toISOString();
      setItems((prev) => prev.map((x) => (x.read_at ? x : { ...x, read_at: now })));
      setUnread(0);
    } catch (err) {
      toast('error', `Failed to mark all notifications as read: ${errorText(err)}`);
    }
  };

  const loadMore = async () => {
    const last = items[items.length - 1];
    if (!last) return;
    setLoadingMore(true);
    try {
      const page = await api.inbox(last.id);
      setItems((prev) => merge(prev, page.notifications));
      setHasMore(page.notifications.length === INBOX_PAGE_SIZE);
    } catch (err) {
      toast('error', `Failed to load more notifications: ${errorText(err)}`);
    } finally {
      setLoadingMore(false);
    }
  };

  const label = unread ? `Inbox, ${unread} unread` : 'Inbox';
  return (
    <div className="inbox" ref={wrapper}>
      <button
        type="button"
        ref={bell}
        className="icon-button bell"
        aria-label={label}
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        <BellIcon />
        {unread > 0 && (
          <span className="badge" data-testid="inbox-badge">
            {badgeText(unread)}
          </span>
        )}
        {socketDown && <span className="bell-warning" title={SOCKET_ERROR} />}
      </button>
      {open && (
        <div className="inbox-popover" role="dialog" aria-label="Inbox" ref={panel} tabIndex={-1}>
          <div className="inbox-header">
            <h2>
              Inbox {unread > 0 && <span className="badge badge-inline">{badgeText(unread)}</span>}
            </h2>
            <div className="inbox-header-actions">
              <button type="button" className="btn btn-small" disabled={items.length === 0 || unread === 0} onClick={() => void markAllRead()}>
                Mark all as read
              </button>
              <Link to="/settings/notifications" className="icon-button" aria-label="Notification settings" title="Notification settings" onClick={() => setOpen(false)}>
                <SettingsIcon />
              </Link>
            </div>
          </div>
          {socketDown && (
            <div className="alert alert-error inbox-alert" role="alert">
              {SOCKET_ERROR}{' '}
              <button type="button" className="link" onClick={() => reconnectNow.current()}>
                Retry now
              </button>
            </div>
          )}
          {loadError && <div className="alert alert-error inbox-alert" role="alert">{loadError}</div>}
          {loading ? (
            <p className="inbox-empty">Loading…</p>
          ) : items.length === 0 ? (
            <div className="inbox-empty">
              <strong>No notifications</strong>
              <p>New notifications will be displayed here.</p>
            </div>
          ) : (
            <ul className="inbox-list">
              {items.map((n) => (
                <InboxItem key={n.id} n={n} onMarkRead={markRead} />
              ))}
            </ul>
          )}
          {hasMore && items.length > 0 && (
            <div className="inbox-footer">
              <button type="button" className="btn btn-small" disabled={loadingMore} onClick={() => void loadMore()}>
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
