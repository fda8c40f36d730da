import type { Database } from '../../db/database.js';
import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { insertInboxRows, type NewInboxRow } from '../inbox/store.js';

/**
 * Delivers to the in-app inbox. Deliveries that arrive together are written as one multi-row
 * INSERT (one round trip for a whole lease batch); every error is permanent, as in the reference.
 */
export function createInboxMethod(db: Database): DeliveryMethod {
  let pending: { row: NewInboxRow; resolve: (r: DeliveryResult) => void }[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      await db.tx((t) => insertInboxRows(t, batch.map((b) => b.row)));
      for (const b of batch) b.resolve({ ok: true });
    } catch (err) {
      for (const b of batch) b.resolve({ ok: false, retryable: false, error: `insert inbox notification: ${(err as Error).message}` });
    }
  }

  return {
    name: 'inbox',
    deliver(msg: PreparedMessage): Promise<DeliveryResult> {
      return new Promise((resolve) => {
        pending.push({
          resolve,
          row: {
            id: msg.id,
            user_id: msg.payload.user_id,
            template_id: msg.templateId,
            targets: msg.payload.targets,
            title: msg.titleMarkdown,
            content: msg.bodyMarkdown,
            actions: msg.payload.actions ?? [],
          },
        });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
