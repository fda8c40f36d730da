// The navbar's Inbox: unread badge and a popover (a modal-like dialog: focus trap, Escape, focus back
// to the bell) with tabs, the kind filter and live updates over the watch socket.
import { useEffect, useRef, useState } from 'react';
import { Link } from '../router.js';
import { BellIcon, SettingsIcon } from './icons.js';
import { InboxListView, SOCKET_ERROR, useInbox, type InboxView } from './inbox.js';

export { SOCKET_ERROR } from './inbox.js';
export const badgeText = (n: number) => (n > 99 ? '99+' : String(n));

const FOCUSABLE = 'a[href], button:not([disabled]), select:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function InboxBell() {
  const [view, setView] = useState<InboxView>({ tab: 'all', kind: '', q: '' });
  const inbox = useInbox(view);
  const { unread, socketDown } = inbox;
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const bell = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  // Focus goes into the dialog on open and stays inside (Tab wraps); Escape closes and gives the
  // focus back to the bell; a click outside closes.
  useEffect(() => {
    if (!open) return;
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        bell.current?.focus();
        return;
      }
      if (e.key !== 'Tab' || !panel.current) return;
      const all = [...panel.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
      if (all.length === 0) return;
      const first = all[0];
      const last = all[all.length - 1];
      const active = document.activeElement;
      if (e.shiftKey && (active === first || active === panel.current)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      } else if (!panel.current.contains(active)) {
        e.preventDefault();
        first.focus();
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

  const close = () => setOpen(false);
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
        <div className="inbox-popover" role="dialog" aria-modal="true" aria-label="Inbox" ref={panel} tabIndex={-1} data-inbox-root>
          <div className="inbox-header">
            <h2>
              Inbox {unread > 0 && <span className="badge badge-inline">{badgeText(unread)}</span>}
            </h2>
            <div className="inbox-header-actions">
              <button type="button" className="btn btn-small" aria-disabled={unread === 0} onClick={() => unread > 0 && void inbox.markAllRead()}>
                Mark all as read
              </button>
              <Link to="/settings/notifications" className="icon-button" aria-label="Notification settings" title="Notification settings" onClick={close}>
                <SettingsIcon />
              </Link>
            </div>
          </div>
          <InboxListView inbox={inbox} view={view} setView={setView} onFollow={close} idPrefix="bell" />
          <div className="inbox-footer">
            <Link to="/notifications" onClick={close}>
              View all notifications
            </Link>
          </div>
        </div>
      )}
    </div>
  );
}
