// The full-page inbox (/notifications): the bell's list with room to read, plus search over titles
// and content. The search is in the address (?q=) so a view can be linked.
import { useEffect, useState } from 'react';
import { Link, navigate, useLocation } from '../router.js';
import { InboxListView, useInbox, type InboxTab, type InboxView } from '../components/inbox.js';
import type { InboxKind } from '../api.js';
import { useTitle } from './Entities.js';

export function NotificationsPage() {
  useTitle('Inbox');
  const { search } = useLocation();
  const [view, setView] = useState<InboxView>({
    tab: (['all', 'unread', 'archived'].includes(search.get('tab') ?? '') ? search.get('tab') : 'all') as InboxTab,
    kind: (search.get('kind') ?? '') as InboxKind | '',
    q: search.get('q') ?? '',
  });
  const [text, setText] = useState(view.q);
  const inbox = useInbox(view);

  // Typing searches after a short pause, not on every key.
  useEffect(() => {
    const t = setTimeout(() => setView((v) => (v.q === text ? v : { ...v, q: text })), 250);
    return () => clearTimeout(t);
  }, [text]);
  useEffect(() => {
    const p = new URLSearchParams();
    if (view.tab !== 'all') p.set('tab', view.tab);
    if (view.kind) p.set('kind', view.kind);
    if (view.q) p.set('q', view.q);
    const next = `/notifications${p.size ? `?${p}` : ''}`;
    if (location.pathname + location.search !== next) navigate(next, { replace: true });
  }, [view]);

  return (
    <section className="notifications-page" data-inbox-root tabIndex={-1}>
      <div className="page-head">
        <h1>Notifications</h1>
        <div className="inbox-header-actions">
          <button type="button" className="btn btn-small" aria-disabled={inbox.unread === 0} onClick={() => inbox.unread > 0 && void inbox.markAllRead()}>
            Mark all as read
          </button>
          <Link to="/settings/notifications">Preferences</Link>
        </div>
      </div>
      <p className="muted">{inbox.unread === 1 ? '1 unread notification' : `${inbox.unread} unread notifications`}</p>
      <form role="search" className="inbox-search" onSubmit={(e) => (e.preventDefault(), setView({ ...view, q: text }))}>
        <label htmlFor="inbox-search">Search notifications</label>
        <input id="inbox-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Words in the title or content" />
      </form>
      <div className="card inbox-page-list">
        <InboxListView inbox={inbox} view={view} setView={setView} idPrefix="page" />
      </div>
    </section>
  );
}
