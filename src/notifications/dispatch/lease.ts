import type { Database, Session } from '../../db/database.js';
import type { Logger } from '../../server/logger.js';
import { fetchLockedMessages, lockMessages, relockMessages, unlockMessages, type AcquiredMessage } from './queries.js';

/**
 * The messages one dispatcher holds. A lease is a session-level advisory lock on a connection of
 * the dispatcher's own, taken without writing the row, and released once the message's result is
 * committed. If the connection is lost its locks go with it: the next lease first re-takes the locks
 * of messages still in flight (those another replica has not taken meanwhile) before leasing more.
 */
export class MessageLocks {
  private session: Session | undefined;
  private opening: Promise<Session> | undefined;
  /** Every message this dispatcher has leased and not yet released, with the session holding its lock. */
  private readonly mine = new Map<string, Session | undefined>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  get held(): number {
    return this.mine.size;
  }

  private current(): Promise<Session> {
    if (this.session?.alive) return Promise.resolve(this.session);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<Session> {
    const old = this.session;
    this.session = undefined;
    if (old) void old.close();
    const s = await this.db.session();
    const lost = [...this.mine.keys()];
    if (lost.length) {
      let relocked: string[] = [];
      try {
        relocked = await relockMessages(s, lost);
      } catch (err) {
        await s.close();
        throw err;
      }
      for (const id of lost) this.mine.set(id, undefined);
      for (const id of relocked) this.mine.set(id, s);
      if (relocked.length < lost.length) {
        this.log.warn({ in_flight: lost.length, relocked: relocked.length }, 'database session lost during delivery; other replicas may deliver some in-flight messages again');
      }
    }
    this.session = s;
    return s;
  }

  /** Leases up to `count` messages that are due, oldest first. */
  async acquire(p: { maxAttempts: number; count: number }): Promise<AcquiredMessage[]> {
    const s = await this.current();
    const ids = await lockMessages(s, { ...p, exclude: [...this.mine.keys()] });
    if (!ids.length) return [];
    for (const id of ids) this.mine.set(id, s);
    let rows: AcquiredMessage[];
    try {
      rows = await fetchLockedMessages(s, { ids, maxAttempts: p.maxAttempts });
    } catch (err) {
      await this.release(ids);
      throw err;
    }
    if (rows.length < ids.length) {
      const got = new Set(rows.map((r) => r.id));
      await this.release(ids.filter((id) => !got.has(id)));
    }
    return rows;
  }

  /** Ends the leases of messages whose results are committed. */
  async release(ids: string[]): Promise<void> {
    const s = this.session;
    const unlock: string[] = [];
    for (const id of ids) {
      if (s?.alive && this.mine.get(id) === s) unlock.push(id);
      this.mine.delete(id);
    }
    // Issued before any await: a lease statement queued after it on the session sees the unlock.
    if (s && unlock.length) {
      await unlockMessages(s, unlock).catch((err) =>
        this.log.warn({ err: (err as Error).message }, 'failed to release message locks; they end with the session'),
      );
    }
  }

  /** Closes the session: any lock still held ends with it. */
  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    const s = this.session;
    this.session = undefined;
    this.mine.clear();
    await s?.close();
  }
}
