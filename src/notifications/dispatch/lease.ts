import type { Database, Session } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { lockAndFetchMessages, lockAndReadMessages, relockMessages, unlockMessages, type AcquiredMessage } from './queries.js';

const LOST_SESSION_GRACE_MS = 1000;
/**
 * Locks of messages whose results are committed are released by the next lease statement (one
 * statement instead of an unlock queued in front of it), or after this long if no lease comes.
 */
const DEFERRED_UNLOCK_MS = 100;

/**
 * The lease session runs only the lease statements, which must walk the dispatchable index in
 * order and stop after a few rows. With stale statistics (a queue table that was empty at its last
 * ANALYZE and then got a burst) the planner prefers a bitmap scan and sort of the whole backlog:
 * 8.6 ms instead of 0.1 ms per lease at 10,000 pending rows (docs/performance.md). These settings
 * apply to this connection only. The embedded engine has one session for everything: left alone.
 */
export const PLANNER_SETTINGS = `SELECT set_config('enable_seqscan', 'off', false), set_config('enable_bitmapscan', 'off', false)`;

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
  private closed = false;
  private graceUntil = 0;
  /** Committed messages whose locks on `deferredOn` the next lease statement releases (release()). */
  private deferred: string[] = [];
  private deferredOn: Session | undefined;
  private deferTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The embedded engine has one session for everything: results and unlocks go in one statement
   * (markSent/markFailed with `unlock`), and a lease is one statement.
   */
  readonly unlocksWithResult: boolean;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    this.unlocksWithResult = db.engine !== 'postgres';
  }

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
    if (old) {
      void old.close();
      // Every replica's session goes in a database restart or failover: each first re-takes its own
      // in-flight messages and leases nothing new for a moment, so they do not take each other's.
      this.graceUntil = Date.now() + LOST_SESSION_GRACE_MS;
    }
    const s = await this.db.session();
    if (this.db.engine === 'postgres') {
      try {
        await s.query(PLANNER_SETTINGS);
      } catch (err) {
        await s.close();
        throw err;
      }
    }
    const lost = [...this.mine.keys()];
    if (lost.length) {
      let relocked: string[] = [];
      try {
        relocked = await relockMessages(s, lost);
      } catch (err) {
        await s.close();
        throw err;
      }
      // Results committed while the relock ran were released meanwhile (deleted from `mine`, no
      // session to unlock on): they must not come back, and a lock just re-taken on them is dropped,
      // or it would be held, and the message excluded from leases, for the life of the session.
      const stale: string[] = [];
      for (const id of lost) if (this.mine.has(id)) this.mine.set(id, undefined);
      for (const id of relocked) {
        if (this.mine.has(id)) this.mine.set(id, s);
        else stale.push(id);
      }
      if (stale.length) {
        try {
          await unlockMessages(s, stale);
        } catch (err) {
          await s.close();
          throw err;
        }
      }
      if (relocked.length < lost.length) {
        this.log.warn({ in_flight: lost.length, relocked: relocked.length }, 'database session lost during delivery; other replicas may deliver some in-flight messages again');
      }
    }
    this.session = s;
    s.onLost(() => this.retake());
    return s;
  }

  /**
   * The session was lost while messages were in flight: reconnect and re-take their locks at once
   * rather than at the next lease, so that other replicas have as little time as possible to lease
   * them again. Retried while the database is unreachable.
   */
  private retake(delayMs = 20): void {
    if (this.closed || !this.mine.size) return;
    const t = setTimeout(() => {
      if (this.closed || !this.mine.size || this.session?.alive) return;
      this.current().catch(() => this.retake(Math.min(delayMs * 2, 2000)));
    }, delayMs);
    t.unref();
  }

  /** Leases up to `count` messages that are due, oldest first. */
  async acquire(p: { maxAttempts: number; count: number }): Promise<AcquiredMessage[]> {
    const s = await this.current();
    const grace = this.graceUntil - Date.now();
    if (grace > 0) await new Promise((r) => setTimeout(r, grace));
    if (!s.alive) return [];
    if (this.unlocksWithResult) {
      const rows = await lockAndFetchMessages(s, { ...p, exclude: [...this.mine.keys()] });
      for (const r of rows) this.mine.set(r.id, s);
      return rows;
    }
    const unlock = this.takeDeferred(s);
    let got: { messages: AcquiredMessage[]; stale: string[] };
    try {
      // Lock and read in one statement, the read with a snapshot newer than every lock (queries.ts).
      got = await lockAndReadMessages(s, { ...p, exclude: [...this.mine.keys()], unlock });
    } catch (err) {
      // Their unlocks may not have run: tried again (unlocking a lock not held only warns). Locks
      // the statement took before it failed are not known here: as with any failed lock statement,
      // they stay until the session ends (such a message is leased again by this session only).
      if (unlock.length && s.alive) this.defer(s, unlock);
      throw err;
    }
    for (const m of got.messages) this.mine.set(m.id, s);
    for (const id of got.stale) this.mine.set(id, s);
    // Locked but no longer dispatchable when read (finished by another replica meanwhile): let go.
    if (got.stale.length) await this.release(got.stale);
    return got.messages;
  }

  private takeDeferred(s: Session): string[] {
    const ids = this.deferredOn === s ? this.deferred : [];
    this.deferred = [];
    this.deferredOn = undefined;
    return ids;
  }

  private defer(s: Session, ids: string[]): void {
    if (this.deferredOn !== s) this.deferred = [];
    this.deferredOn = s;
    this.deferred.push(...ids);
    this.deferTimer ??= setTimeout(() => {
      this.deferTimer = undefined;
      const unlock = this.takeDeferred(s);
      if (unlock.length && s.alive && s === this.session) {
        unlockMessages(s, unlock).catch((err) =>
          this.log.warn({ err: (err as Error).message }, 'failed to release message locks; they end with the session'),
        );
      }
    }, DEFERRED_UNLOCK_MS);
    this.deferTimer.unref?.();
  }

  /**
   * Ends the leases of messages: at once for messages released unsent; for messages whose results
   * are committed (`committed`), by the next lease statement or within DEFERRED_UNLOCK_MS (such a
   * message is no longer dispatchable, so holding its lock a little longer stops no other replica;
   * a temporary failure due again meanwhile is leased again by this dispatcher's next lease);
   * `unlocked`: by the statement that wrote them, see unlocksWithResult.
   */
  async release(ids: string[], o: { unlocked?: boolean; committed?: boolean } = {}): Promise<void> {
    const s = this.session;
    const unlock: string[] = [];
    for (const id of ids) {
      if (!o.unlocked && s?.alive && this.mine.get(id) === s) unlock.push(id);
      this.mine.delete(id);
    }
    if (s && unlock.length && o.committed) {
      this.defer(s, unlock);
      return;
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
    this.closed = true;
    await this.opening?.catch(() => undefined);
    const s = this.session;
    this.session = undefined;
    this.mine.clear();
    this.deferred = [];
    this.deferredOn = undefined;
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    await s?.close();
  }
}
