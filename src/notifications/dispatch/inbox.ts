import type { Database } from '../../db/database.js';
import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { insertInboxRows, type NewInboxRow } from '../inbox/store.js';
import { renderInboxRow } from '../prepare.js';

/**
 * Whether a failed inbox insert is worth another attempt: a bad row (SQLSTATE class 22 data
 * exception, 23 integrity violation, 42 syntax/access) fails the same way every time, while a lost
 * connection, a database shutting down or refusing connections passes. The reference makes every
 * inbox error permanent, which loses inbox notifications in a database outage; a retry is safe
 * because the row id is the message id (ON CONFLICT DO NOTHING).
 */
export function inboxErrorRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return !/^(22|23|42)/.test(code);
  return true;
}

/**
 * Delivers to the in-app inbox. Deliveries that arrive together are written as one multi-row
 * INSERT (one round trip for a whole lease batch, its NOTIFY included); errors are permanent unless the database was
 * unreachable (see inboxErrorRetryable).
 */
export function createInboxMethod(db: Database): DeliveryMethod {
  let pending: { row: NewInboxRow; resolve: (r: DeliveryResult) => void }[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      // One statement (insert and NOTIFY): atomic without a transaction of its own.
      await insertInboxRows(db, batch.map((b) => b.row));
      for (const b of batch) b.resolve({ ok: true });
    } catch (err) {
      const retryable = inboxErrorRetryable(err);
      for (const b of batch) b.resolve({ ok: false, retryable, error: `insert inbox notification: ${(err as Error).message}` });
    }
  }

  return {
    name: 'inbox',
    deliver(msg: PreparedMessage): Promise<DeliveryResult> {
      return new Promise((resolve) => {
        pending.push({
          resolve,
          row: renderInboxRow(msg),
        });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
