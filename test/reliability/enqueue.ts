// Enqueues many messages straight into a database, as the server's own enqueuer does.

import type { Database } from '../../src/db/database.js';
import { createEnqueuer } from '../../src/notifications/enqueue.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { resolveConfig } from '../../src/server/config.js';
import { silentLogger } from '../../src/lib/logger.js';

/** Enqueues `count` distinct test notifications (webhook + inbox) for `userId`; resolves their ids. */
export async function enqueueMany(
  db: Database,
  p: { userId: string; count: number; run: string; webhookEndpoint: string; inbox?: boolean; concurrency?: number },
): Promise<string[]> {
  const config = resolveConfig({
    flags: {
      accessUrl: 'http://test.com',
      'notifications.method': 'webhook',
      'notifications.webhook.endpoint': p.webhookEndpoint,
      'notifications.inbox.enabled': p.inbox ?? true,
    },
  });
  const enqueuer = createEnqueuer({ db, notifications: config.notifications, email: config.email, accessUrl: config.accessUrl, log: silentLogger() });
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < p.count) {
      const i = next++;
      ids.push(...(await enqueuer.enqueueMany([{ userId: p.userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: { run: p.run, n: String(i) }, createdBy: 'reliability' }])).flat());
    }
  };
  await Promise.all(Array.from({ length: p.concurrency ?? 8 }, worker));
  return ids;
}
