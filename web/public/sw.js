// Herald's service worker (served at /sw.js, scope /): shows a browser push as a notification and
// opens the notification's first action (or the button clicked) when it is clicked.
//
// The push payload is Herald's WebPushNotification: { title, body, icon, url, actions: [{label,
// url}], msg_id }. An empty push (the probe Herald sends when a browser subscribes) shows nothing.
//
// No push while the dashboard is visible: the server does not know whether a tab is in front, so
// the worker decides. When a window of this origin is visible, the notification is not shown (the
// open dashboard already shows it in the inbox, live); the visible windows get a "herald:push"
// message instead. Chromium does not require a notification for a push while a tab of the origin
// is visible, so the subscription keeps its userVisibleOnly promise.

const safeUrl = (u) => {
  try {
    const url = new URL(u, self.location.origin);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
};

/** Where a click goes: the button's action, else the first action, else the notification's URL. */
self.heraldClickTarget = (data, action) => {
  const actions = (data && data.actions) || [];
  const chosen = action !== undefined && action !== '' ? actions[Number(action)] : actions[0];
  return safeUrl((chosen && chosen.url) || (data && data.url) || '/notifications') || new URL('/notifications', self.location.origin).href;
};

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let n = null;
  try {
    n = event.data ? event.data.json() : null;
  } catch {
    n = null;
  }
  if (!n || typeof n.title !== 'string') return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const visible = windows.filter((c) => c.visibilityState === 'visible');
      if (visible.length > 0) {
        for (const c of visible) c.postMessage({ type: 'herald:push', shown: false, notification: n });
        return;
      }
      const actions = Array.isArray(n.actions) ? n.actions.filter((a) => a && safeUrl(a.url)) : [];
      const max = (self.Notification && self.Notification.maxActions) || 2;
      await self.registration.showNotification(n.title, {
        body: n.body || '',
        icon: n.icon || '/icon/herald.png',
        badge: '/icon/herald.png',
        // One notification per message: a retried push replaces rather than stacks.
        tag: n.msg_id || undefined,
        data: { url: safeUrl(n.url) || '', actions, msg_id: n.msg_id || '' },
        actions: actions.slice(0, max).map((a, i) => ({ action: String(i), title: a.label || a.url })),
      });
    })(),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = self.heraldClickTarget(event.notification.data, event.action);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const same = windows.find((c) => c.url === target);
      if (same && 'focus' in same) return same.focus();
      return self.clients.openWindow(target);
    })(),
  );
});
