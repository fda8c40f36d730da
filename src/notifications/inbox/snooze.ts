import type { Database } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { systemClock, type Clock, type Service } from '../../lib/service.js';
import { nextSnoozeDue, releaseDueSnoozes } from './queries.js';
import { INBOX_CHANNEL, type InboxEvent } from './store.js';

export interface SnoozeSweeperOptions {
  db: Database;
  log: Logger;
  clock?: Clock;
  /** Longest wait between two looks at the table (a safety net for missed announcements). */
  maxWaitMs?: number;
}

/**
 * Brings snoozed inbox rows back when they are due, on every replica. Each replica sleeps until
 * the earliest snooze it knows of (re-armed when any replica announces a new snooze), then
 * releases the due rows; releasing claims each row once (see releaseDueSnoozes), so replicas need
 * no leader and a row comes back with exactly one `due` announcement, which every hub pushes.
 */
export class SnoozeSweeper implements Service {
  private timer?: NodeJS.Timeout;
  private armedFor?: number;
  private unlisten?: () => Promise<void>;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly clock: Clock;
  private readonly maxWaitMs: number;

  constructor(private readonly opts: SnoozeSweeperOptions) {
    this.clock = opts.clock ?? systemClock;
    this.maxWaitMs = opts.maxWaitMs ?? 30_000;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.opts.db.listen(INBOX_CHANNEL, (payload) => this.onEvent(payload));
    await this.sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Releases what is due now and arms the timer for the next one. Concurrent calls coalesce. */
  sweep(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.opts.db.tx((q) => releaseDueSnoozes(q, this.clock()))).length >= 500 && !this.stopped);
        } while (this.again && !this.stopped);
        this.arm(await nextSnoozeDue(this.opts.db));
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'inbox snooze sweep failed');
        this.arm(undefined);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private onEvent(payload: string): void {
    let ev: InboxEvent;
    try {
      ev = JSON.parse(payload) as InboxEvent;
    } catch {
      return;
    }
    if (ev.kind !== 'update') return;
    const until = ev.inbox_notification?.snoozed_until;
    // A row announced by id only: look at the table again.
    if (!ev.inbox_notification) return void this.sweep();
    if (until) this.arm(new Date(until), true);
  }

  /** Sets the timer for `due` (or the safety-net wait); `onlyEarlier` keeps an earlier one. */
  private arm(due: Date | undefined, onlyEarlier = false): void {
    if (this.stopped) return;
    const now = this.clock().getTime();
    const at = Math.min(due ? due.getTime() : Infinity, now + this.maxWaitMs);
    if (onlyEarlier && this.armedFor !== undefined && this.armedFor <= at) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    // The timer is a wake-up only: the sweep compares against the clock, so an early wake releases nothing.
    this.timer = setTimeout(() => {
      this.armedFor = undefined;
      void this.sweep();
    }, Math.max(0, at - now) + 5);
    this.timer.unref();
  }
}
