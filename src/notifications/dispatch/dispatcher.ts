import { EventEmitter, setMaxListeners } from 'node:events';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import type { NotificationsConfig } from '../../lib/config.js';
import { systemClock, type Clock } from '../../lib/service.js';
import type { DeliveryMethod, DeliveryResult, NotificationMethod, PreparedMessage, TemplateHelpers } from '../types.js';
import type { NotificationMetrics } from '../metrics.js';
import { prepare, templateHelpers } from '../prepare.js';
import { ENQUEUED_CHANNEL, SETTINGS_CHANGED } from '../enqueue.js';
import { MessageLocks } from './lease.js';
import { maintainMessagePartitions } from '../partitions.js';
import { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
import {
  getDispatchSettings,
  markFailed,
  markSent,
  type AcquiredMessage,
  type DispatchSettings,
  type FailedResult,
  type SentResult,
} from './queries.js';

export { DEFAULT_APP_NAME, DEFAULT_LOGO_URL } from '../prepare.js';

export interface DispatcherOptions {
  db: Database;
  config: NotificationsConfig;
  accessUrl: string;
  methods: Partial<Record<NotificationMethod, DeliveryMethod>>;
  /** Why a method cannot deliver (e.g. no webhook endpoint): its messages fail permanently. */
  unavailable?: Partial<Record<NotificationMethod, string>>;
  metrics: NotificationMetrics;
  log: Logger;
  /** Where the dispatcher reads the time (result times, retry times, settings age). */
  clock?: Clock;
  /** @deprecated use clock */
  now?: Clock;
  /** Where it arms its timers (poll, retries, purge, result-write retries); with `clock`, tests move time. */
  scheduler?: Scheduler;
  /**
   * How long a delivery result waits for others before they are written together (real time).
   * Default 0 (written at once; results arriving during a write go in the next) on PostgreSQL, and
   * RESULT_COALESCE_PGLITE_MS on the embedded engine: its statements run synchronously on this
   * thread, so no result ever arrives during a write and each delivery was one statement of its own.
   */
  resultCoalesceMs?: number;
  /**
   * How long a wake-up by an enqueue's NOTIFY waits for more before it leases (real time). Default
   * 0 on PostgreSQL (measured: no gain, docs/performance.md) and NOTIFY_GATHER_PGLITE_MS on the
   * embedded engine, where every statement takes this thread: a lease per one or two events was a
   * quarter of the engine's time at 500/s. Other wake-ups (start, poll, retry, resume) lease at once.
   */
  notifyGatherMs?: number;
}

/** docs/performance.md (24.5): webhook result writes per message 1.0 → ~0.1 at 500/s. */
const RESULT_COALESCE_PGLITE_MS = 10;
/** docs/performance.md (24.5, ninth round). */
const NOTIFY_GATHER_PGLITE_MS = 4;

/**
 * The dispatcher's modes. `idle` (built) → start → `running` ⇄ `paused` → stop → `draining` →
 * `stopped`. Paused: the deployment setting `notifier_paused` (or pause()) holds; nothing is
 * leased, in-flight deliveries finish. Draining: stop() was called; nothing is leased, in-flight
 * deliveries finish and every result is written. A stopped dispatcher cannot start again.
 */
export type DispatcherState = 'idle' | 'running' | 'paused' | 'draining' | 'stopped';

/** What asked for a fetch. */
export type WakeReason = 'start' | 'notify' | 'settings' | 'poll' | 'retry' | 'refill' | 'resume' | 'manual';

export interface MessageRef {
  id: string;
  method: NotificationMethod;
  /** Attempts before this one (0 for a first delivery). */
  attempt: number;
}

/** Lifecycle events and their payloads; see Dispatcher.on. */
export interface DispatcherEvents {
  state: { from: DispatcherState; to: DispatcherState };
  paused: { by: 'setting' | 'local' };
  resumed: Record<string, never>;
  wake: { reason: WakeReason };
  /** A lease batch: every message this dispatcher now holds and will deliver or fail (or, paused or stopped before its turn, release unsent). */
  leased: { messages: MessageRef[] };
  /** A leased message that failed before (attempt > 0), about to be delivered again. */
  retried: MessageRef;
  delivered: MessageRef;
  /** temporary_failure has `retryAt`, when it is due again; inhibited is a disabled preference. */
  failed: MessageRef & { status: FailedResult['status']; reason: string; retryAt?: Date };
  /** A fetch ended (after a wake): `count` messages leased, 0 when paused, draining or nothing was due. */
  fetched: { count: number };
  /** Results committed to the database (and their leases released). */
  flushed: { sent: number; failed: number };
}

export type DispatcherEvent = keyof DispatcherEvents;

const PURGE_INTERVAL_MS = 10 * 60_000;
/** How long the appearance and pause setting read from site_configs are reused while running. */
const SETTINGS_TTL_MS = 5000;
/** Retry wake-ups are armed this long after the due time: the row's due time is then surely past. */
const RETRY_SLACK_MS = 20;
/**
 * Deliveries starting within this many ms share one timeout signal (armed for dispatchTimeout plus
 * this much), instead of one timer and signal per message: an attempt may run up to this much longer.
 */
const TIMEOUT_SHARE_MS = 5;
/** A result write of a stream of deliveries starts this long after the previous one ended (writeSoon). */
const RESULT_GATHER_MS = 5;
/** The lease-ahead window grows with a backlog up to this many lease counts (docs/performance.md). */
const MAX_AHEAD_FACTOR = 16;
/** Retries further out than this are left to the poll. */
const MAX_RETRY_SCHEDULE_MS = 3_600_000;

/**
 * Leases messages and delivers them (reference notifier + manager): woken by NOTIFY when messages
 * are enqueued, with a poll as a safety net and a timer for each retry due time; deliveries run
 * concurrently up to the lease count; results are written back in batches, with back-pressure when
 * the writer falls behind. Emits lifecycle events (DispatcherEvents).
 */
export class Dispatcher {
  private readonly opts: DispatcherOptions;
  private readonly clock: Clock;
  private readonly timers: Scheduler;
  private readonly events = new EventEmitter();
  private _state: DispatcherState = 'idle';
  private localPause = false;
  /** The fetch loop: not running, running, or running and asked to go round once more. */
  private fetch: 'idle' | 'busy' | 'again' = 'idle';
  private fetchDone: Promise<void> = Promise.resolve();
  /** The last fetch filled every free slot, so more messages are probably waiting. */
  private moreWaiting = false;
  private inflight = 0;
  /** The lease-ahead window (most messages held at once); grows with the backlog, see adapt(). */
  private ahead: number;
  /**
   * Leased, prepared and waiting for a free delivery slot: a lease takes up to the window (`ahead`,
   * at least twice the lease count) so that deliveries go on while the next lease runs
   * (docs/performance.md). Released unsent on pause and stop.
   */
  private queued: { msg: AcquiredMessage; helpers: TemplateHelpers }[] = [];
  /** The timeout signal shared by deliveries that start within TIMEOUT_SHARE_MS of one another. */
  private timeoutSignal: { at: number; signal: AbortSignal } | undefined;
  private readonly inflightDone = new Set<Promise<void>>();
  private sent: SentResult[] = [];
  /**
   * dispatch_attempts_total increments not yet applied: added up per label set and applied when the
   * results are written (flush), one labelled update per label set instead of one per message.
   */
  private attempts = new Map<string, { labels: { method: string; notification_template_id: string; result: string }; n: number }>();
  private failed: FailedResult[] = [];
  private readonly refs = new Map<string, MessageRef>();
  private syncing: Promise<void> | undefined;
  private syncTimer: TimerHandle | undefined;
  private readonly resultCoalesceMs: number;
  private readonly notifyGatherMs: number;
  /** A NOTIFY wake-up waiting notifyGatherMs for more before its lease. */
  private notifyTimer?: NodeJS.Timeout;
  /** Arms the next result write RESULT_GATHER_MS after the previous one ended (writeSoon). */
  private gatherTimer: ReturnType<typeof setTimeout> | undefined;
  private lastWriteAt = -Infinity;
  private pollTimer: TimerHandle | undefined;
  private purgeTimer: TimerHandle | undefined;
  /** Retry due times (ms, ascending, distinct); one timer is armed for the first. */
  private retryDue: number[] = [];
  private retryTimer: TimerHandle | undefined;
  private retryTimerAt = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private settings: { at: number; value: DispatchSettings } | undefined;
  private settingsError: string | undefined;
  private readonly locks: MessageLocks;

  constructor(opts: DispatcherOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? opts.now ?? systemClock;
    this.timers = opts.scheduler ?? systemScheduler;
    this.locks = new MessageLocks(opts.db, opts.log);
    this.resultCoalesceMs = opts.resultCoalesceMs ?? (opts.db.engine === 'pglite' ? RESULT_COALESCE_PGLITE_MS : 0);
    this.notifyGatherMs = opts.notifyGatherMs ?? (opts.db.engine === 'pglite' ? NOTIFY_GATHER_PGLITE_MS : 0);
    this.ahead = 2 * opts.config.leaseCount;
  }

  private get log(): Logger {
    return this.opts.log;
  }

  get state(): DispatcherState {
    return this._state;
  }

  /** Subscribes to a lifecycle event; returns the unsubscribe function. Listeners must not throw. */
  on<K extends DispatcherEvent>(event: K, fn: (e: DispatcherEvents[K]) => void): () => void {
    this.events.on(event, fn);
    return () => void this.events.off(event, fn);
  }

  /** Resolves with the next `event` whose payload matches (rejects after timeoutMs of real time). */
  next<K extends DispatcherEvent>(event: K, match: (e: DispatcherEvents[K]) => boolean = () => true, timeoutMs = 10_000): Promise<DispatcherEvents[K]> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for dispatcher event "${event}"`));
      }, timeoutMs);
      const off = this.on(event, (e) => {
        if (!match(e)) return;
        clearTimeout(t);
        off();
        resolve(e);
      });
    });
  }

  private emit<K extends DispatcherEvent>(event: K, e: DispatcherEvents[K]): void {
    try {
      this.events.emit(event, e);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, event }, 'dispatcher event listener failed');
    }
  }

  private listening(event: DispatcherEvent): boolean {
    return this.events.listenerCount(event) > 0;
  }

  private transition(to: DispatcherState): void {
    const from = this._state;
    if (from === to) return;
    this._state = to;
    this.emit('state', { from, to });
  }

  private get active(): boolean {
    return this._state === 'running' || this._state === 'paused';
  }

  async start(): Promise<void> {
    if (this._state === 'draining' || this._state === 'stopped') throw new Error('dispatcher already closed');
    if (this._state !== 'idle') return;
    this.transition('running');
    this.unlisten = await this.opts.db.listen(ENQUEUED_CHANNEL, (payload) =>
      payload === SETTINGS_CHANGED ? this.wake('settings') : this.wake('notify'),
    );
    this.armPoll();
    this.armPurge();
    void this.purge();
    this.wake('start');
  }

  /** Stops leasing, lets in-flight deliveries finish and writes every result back. */
  async stop(): Promise<void> {
    if (this._state === 'draining' || this._state === 'stopped') return;
    this.transition('draining');
    this.startQueued();
    this.timers.clearTimeout(this.pollTimer);
    this.timers.clearTimeout(this.purgeTimer);
    this.timers.clearTimeout(this.retryTimer);
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    this.retryDue = [];
    await this.unlisten?.().catch(() => undefined);
    // A lease running at stop still delivers what it got: wait for it and for every delivery.
    while (this.fetch !== 'idle' || this.inflightDone.size) {
      await this.fetchDone;
      if (this.inflightDone.size) await Promise.allSettled([...this.inflightDone]);
    }
    await this.flush();
    // Results that could not be written stay unleased for another replica (or the next start).
    await this.locks.close();
    this.transition('stopped');
  }

  /** Stops leasing on this replica until resume() (in-flight deliveries finish). */
  pause(): void {
    this.localPause = true;
    this.updatePause();
  }

  resume(): void {
    this.localPause = false;
    this.updatePause();
  }

  private updatePause(): void {
    if (!this.active) return;
    const by = this.localPause ? 'local' : this.settings?.value.notifier_paused ? 'setting' : undefined;
    if (by && this._state === 'running') {
      this.transition('paused');
      this.startQueued();
      this.emit('paused', { by });
    } else if (!by && this._state === 'paused') {
      this.transition('running');
      this.emit('resumed', {});
      this.wake('resume');
    }
  }

  private armPoll(): void {
    this.pollTimer = this.timers.setTimeout(() => {
      if (!this.active) return;
      this.armPoll();
      this.wake('poll');
    }, this.opts.config.fetchInterval);
  }

  private armPurge(): void {
    this.purgeTimer = this.timers.setTimeout(() => {
      if (!this.active) return;
      this.armPurge();
      void this.purge();
    }, PURGE_INTERVAL_MS);
  }

  /**
   * Asks for a fetch now; coalesces with one already running. `refill` is a wake-up from a finished
   * delivery: it fetches only once `refillAt` of the window is free (or nothing is held), so a busy
   * dispatcher leases in batches instead of one message per completed delivery.
   */
  wake(reason: WakeReason = 'manual'): void {
    if (!this.active) return;
    if (reason === 'refill') {
      if (!this.moreWaiting || this._state === 'paused') return;
      if (this.held > 0 && this.maxHeld - this.held < this.refillAt) return;
    }
    if (reason === 'settings') this.settings = undefined;
    if (this.listening('wake')) this.emit('wake', { reason });
    if (reason === 'notify' && this.notifyGatherMs > 0 && this.fetch === 'idle') {
      this.notifyTimer ??= setTimeout(() => {
        this.notifyTimer = undefined;
        if (this.active) this.startFetch();
      }, this.notifyGatherMs);
      return;
    }
    this.startFetch();
  }

  private startFetch(): void {
    if (this.fetch !== 'idle') {
      this.fetch = 'again';
      return;
    }
    // This lease also takes whatever a pending NOTIFY wake-up would have.
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    this.fetch = 'busy';
    this.fetchDone = this.fetchLoop();
  }

  /** Deliveries at once. */
  private get capacity(): number {
    return this.opts.config.leaseCount;
  }

  /** Leased messages held at once: in flight plus queued (the lease-ahead window, see `ahead`). */
  private get maxHeld(): number {
    return this.ahead;
  }

  /** Free room in the window that asks for the next lease while messages are waiting. */
  private get refillAt(): number {
    return Math.max(Math.ceil(this.capacity / 2), Math.ceil(this.ahead / 4));
  }

  /**
   * A full lease means a backlog: the window doubles (up to MAX_AHEAD_FACTOR lease counts), so
   * the next lease takes more rows for the same statements and the local queue outlasts a slow
   * lease round trip. A lease that is not full means the backlog is gone: back to twice the lease
   * count.
   */
  private adapt(got: number, asked: number): void {
    const base = 2 * this.capacity;
    if (got === asked && asked >= Math.ceil(this.capacity / 2)) this.ahead = Math.min(this.ahead * 2, MAX_AHEAD_FACTOR * this.capacity);
    else if (got < asked) this.ahead = base;
  }

  private get held(): number {
    return this.inflight + this.queued.length;
  }

  private pendingResults(): number {
    return this.sent.length + this.failed.length;
  }

  /**
   * The appearance and pause setting, re-read when older than SETTINGS_TTL_MS, and at every wake
   * while the setting pauses (so a resume is seen at the next NOTIFY or poll). A failed read keeps
   * the last value.
   */
  private async refreshSettings(): Promise<void> {
    const now = this.clock().getTime();
    const pausedBySetting = this._state === 'paused' && !this.localPause;
    const s = this.settings;
    if (s && !pausedBySetting && now >= s.at && now - s.at <= SETTINGS_TTL_MS) return;
    try {
      this.settings = { at: now, value: await getDispatchSettings(this.opts.db) };
      this.settingsError = undefined;
    } catch (err) {
      this.settingsError = (err as Error).message;
      this.log.warn({ err: this.settingsError }, 'failed to read notification settings');
      return;
    }
    this.updatePause();
  }

  private async fetchLoop(): Promise<void> {
    let count = 0;
    try {
      do {
        this.fetch = 'busy';
        await this.refreshSettings();
        // Paused: lease nothing, but a wake that came meanwhile (a resume) goes round again.
        if (this._state !== 'running') continue;
        // Back-pressure: no new leases while results wait to be written or deliveries are full.
        if (this.pendingResults() >= this.opts.config.storeSyncBufferSize) {
          await this.flush();
        }
        const free = this.maxHeld - this.held;
        if (this._state !== 'running') break;
        if (free <= 0) {
          // Woken while every slot is busy: fetch again once deliveries finish.
          this.moreWaiting = true;
          break;
        }
        let batch: AcquiredMessage[];
        try {
          batch = await this.locks.acquire({ maxAttempts: this.opts.config.maxSendAttempts, count: free });
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'failed to acquire notification messages');
          break;
        }
        count += batch.length;
        if (batch.length) await this.dispatchBatch(batch);
        this.moreWaiting = batch.length === free;
        this.adapt(batch.length, free);
        if (this.moreWaiting && this.maxHeld - this.held >= this.refillAt) this.fetch = 'again';
      } while (this.fetch === 'again' && this.active);
    } finally {
      this.fetch = 'idle';
      if (this.listening('fetched')) this.emit('fetched', { count });
    }
  }

  private helpers(): TemplateHelpers | undefined {
    const s = this.settings?.value;
    return s && templateHelpers(this.opts.accessUrl, s, this.clock(), this.opts.config.emailLogoUrl);
  }

  private async dispatchBatch(batch: AcquiredMessage[]): Promise<void> {
    const helpers = this.helpers();
    const events = this.listening('leased') || this.listening('retried') || this.listening('delivered') || this.listening('failed');
    if (events) {
      for (const msg of batch) this.refs.set(msg.id, { id: msg.id, method: msg.method, attempt: msg.attempt_count });
      this.emit('leased', { messages: batch.map((m) => this.refs.get(m.id)!) });
    }
    for (const msg of batch) {
      if (msg.disabled) {
        this.record(msg, { status: 'inhibited', reason: 'disabled by user' });
        continue;
      }
      if (!helpers) {
        this.record(msg, { status: 'temporary_failure', reason: `failed to fetch app name and logo: ${this.settingsError ?? 'unknown error'}` });
        continue;
      }
      // Rendered when it leaves the queue (startQueued): a lease of hundreds of rows is not one
      // long synchronous block while finished deliveries wait to be replaced.
      this.queued.push({ msg, helpers });
    }
    this.startQueued();
  }

  /** Starts queued deliveries while slots are free; releases them unsent when not running. */
  private startQueued(): void {
    if (this._state !== 'running') {
      if (!this.queued.length) return;
      const ids = this.queued.map((q) => q.msg.id);
      this.queued = [];
      for (const id of ids) this.refs.delete(id);
      void this.locks.release(ids);
      return;
    }
    while (this.inflight < this.capacity && this.queued.length) {
      const { msg, helpers } = this.queued.shift()!;
      const prepared = this.prepare(msg, helpers);
      if ('error' in prepared) {
        this.record(msg, { status: 'permanent_failure', reason: prepared.error });
        continue;
      }
      const ref = msg.attempt_count > 0 ? this.refs.get(msg.id) : undefined;
      if (ref) this.emit('retried', ref);
      this.deliver(msg, prepared.method, prepared.message, this.deliveryTimeout());
    }
  }

  private deliveryTimeout(): AbortSignal {
    const now = performance.now();
    const t = this.timeoutSignal;
    if (t && now - t.at < TIMEOUT_SHARE_MS && !t.signal.aborted) return t.signal;
    const signal = AbortSignal.timeout(this.opts.config.dispatchTimeout + TIMEOUT_SHARE_MS);
    setMaxListeners(0, signal);
    this.timeoutSignal = { at: now, signal };
    return signal;
  }

  private prepare(
    msg: AcquiredMessage,
    helpers: TemplateHelpers,
  ): { method: DeliveryMethod; message: PreparedMessage } | { error: string } {
    const why = this.opts.unavailable?.[msg.method];
    if (why) return { error: why };
    const method = this.opts.methods[msg.method];
    if (!method) return { error: `no handler for method "${msg.method}"` };
    try {
      return { method, message: prepare({ ...msg, templateId: msg.template_id }, helpers) };
    } catch (err) {
      return { error: `render notification: ${(err as Error).message}` };
    }
  }

  private deliver(msg: AcquiredMessage, method: DeliveryMethod, message: PreparedMessage, timeout: AbortSignal): void {
    const m = this.opts.metrics;
    const labels = { method: msg.method, notification_template_id: msg.template_id };
    if (msg.attempt_count > 0) m.retryCount.inc(labels);
    m.queuedSeconds.observe({ method: msg.method }, msg.queued_seconds);
    m.inflightDispatches.inc(labels);
    this.inflight++;
    const started = performance.now();
    const done = method
      .deliver(message, timeout)
      .catch((err): DeliveryResult => ({ ok: false, retryable: true, error: (err as Error).message }))
      .then((result) => {
        m.dispatcherSendSeconds.observe({ method: msg.method }, (performance.now() - started) / 1000);
        m.inflightDispatches.dec(labels);
        this.inflight--;
        if (result.ok) {
          this.countAttempt(msg, 'success');
          this.sent.push({ id: msg.id, created_at: msg.created_at, at: this.clock() });
          const ref = this.refs.get(msg.id);
          if (ref) {
            this.refs.delete(msg.id);
            this.emit('delivered', ref);
          }
        } else {
          const temporary = result.retryable && msg.attempt_count < this.opts.config.maxSendAttempts - 1;
          this.countAttempt(msg, temporary ? 'temp_fail' : 'perm_fail');
          this.log.warn({ msg_id: msg.id, method: msg.method, retryable: result.retryable, reason: result.error }, 'notification delivery failed');
          this.record(msg, {
            status: result.retryable ? 'temporary_failure' : 'permanent_failure',
            reason: result.error,
            retryAfterMs: result.retryAfterMs,
          });
          return;
        }
        this.resultReady();
      })
      .finally(() => {
        this.inflightDone.delete(done);
        this.startQueued();
        this.wake('refill');
      });
    this.inflightDone.add(done);
  }

  private countAttempt(msg: AcquiredMessage, result: 'success' | 'temp_fail' | 'perm_fail'): void {
    const key = `${msg.method}\0${msg.template_id}\0${result}`;
    const a = this.attempts.get(key);
    if (a) a.n++;
    else this.attempts.set(key, { labels: { method: msg.method, notification_template_id: msg.template_id, result }, n: 1 });
  }

  private applyAttempts(): void {
    if (!this.attempts.size) return;
    for (const a of this.attempts.values()) this.opts.metrics.dispatchAttempts.inc(a.labels, a.n);
    this.attempts.clear();
  }

  private record(msg: AcquiredMessage, f: Pick<FailedResult, 'status' | 'reason'> & { retryAfterMs?: number }): void {
    const now = this.clock();
    let status = f.status;
    let retryAt: Date | undefined;
    if (status === 'temporary_failure') {
      if (msg.attempt_count + 1 < this.opts.config.maxSendAttempts) {
        // The due time is written to the row and armed here, from the same clock.
        const delay = f.retryAfterMs !== undefined ? Math.min(Math.max(0, f.retryAfterMs), MAX_RETRY_SCHEDULE_MS) : this.opts.config.retryInterval;
        retryAt = new Date(now.getTime() + delay);
        this.wakeAt(retryAt.getTime());
      } else {
        status = 'permanent_failure';
      }
    }
    this.failed.push({ id: msg.id, created_at: msg.created_at, at: now, status: f.status, reason: f.reason, retryAt });
    const ref = this.refs.get(msg.id);
    if (ref) {
      this.refs.delete(msg.id);
      this.emit('failed', { ...ref, status, reason: f.reason, ...(retryAt ? { retryAt } : {}) });
    }
    this.resultReady();
  }

  /**
   * Retries are due at known times: wake at each of them rather than at the next poll. Every due
   * time is kept (a later one is not dropped because an earlier timer is pending) and one timer is
   * armed for the earliest; when it fires, the next is armed.
   */
  private wakeAt(dueMs: number): void {
    if (!this.active) return;
    const at = dueMs + RETRY_SLACK_MS;
    if (at - this.clock().getTime() > MAX_RETRY_SCHEDULE_MS) return;
    // Sorted insert; due times within a few milliseconds of one another share a wake-up.
    let lo = 0;
    let hi = this.retryDue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.retryDue[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    if (this.retryDue[lo] !== undefined && this.retryDue[lo] - at < RETRY_SLACK_MS) return;
    if (lo > 0 && at - this.retryDue[lo - 1] < RETRY_SLACK_MS) return;
    this.retryDue.splice(lo, 0, at);
    this.armRetry();
  }

  private armRetry(): void {
    const first = this.retryDue[0];
    if (first === undefined || !this.active) return;
    if (this.retryTimer !== undefined && this.retryTimerAt <= first) return;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimerAt = first;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      const now = this.clock().getTime();
      let due = 0;
      while (due < this.retryDue.length && this.retryDue[due] <= now) due++;
      this.retryDue.splice(0, due);
      this.armRetry();
      if (due) this.wake('retry');
    }, first - this.clock().getTime());
  }

  private resultReady(): void {
    this.opts.metrics.pendingUpdates.set(this.pendingResults());
    // Group commit: one write at a time; results arriving meanwhile go together in the next.
    if (!this.syncing && this.syncTimer === undefined && this.gatherTimer === undefined) this.writeSoon();
  }

  /**
   * Writes the buffered results now or, within RESULT_GATHER_MS of the previous write's end,
   * once that much has passed: a lone result is written at once, a stream of them in a write (and
   * an unlock) per RESULT_GATHER_MS instead of per one or two messages. Delivery does not wait for
   * it; only the lease is held a few milliseconds longer.
   */
  private writeSoon(): void {
    // On PGlite even a lone result waits resultCoalesceMs (see the option).
    const wait = Math.max(this.resultCoalesceMs, this.lastWriteAt + RESULT_GATHER_MS - performance.now());
    if (wait <= 0 || !this.active) {
      void this.flush();
      return;
    }
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = undefined;
      void this.flush();
    }, wait);
  }

  /** Writes buffered results; one writer at a time, everything buffered goes in the next write. */
  async flush(): Promise<void> {
    this.applyAttempts();
    while (this.syncing) await this.syncing;
    if (!this.pendingResults()) return;
    if (this.syncTimer !== undefined) {
      this.timers.clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    if (this.gatherTimer !== undefined) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = undefined;
    }
    this.lastWriteAt = performance.now();
    const sent = this.sent;
    const failed = this.failed;
    this.sent = [];
    this.failed = [];
    let retry = false;
    this.syncing = (async () => {
      const cfg = this.opts.config;
      const unlock = this.locks.unlocksWithResult;
      const [s, f] = await Promise.allSettled([
        markSent(this.opts.db, sent, { unlock }),
        markFailed(this.opts.db, failed, { maxAttempts: cfg.maxSendAttempts, retryIntervalSeconds: cfg.retryInterval / 1000, unlock }),
      ]);
      // A message stays leased until its result is committed.
      const written = [...(s.status === 'fulfilled' ? sent : []), ...(f.status === 'fulfilled' ? failed : [])];
      await this.locks.release(written.map((x) => x.id), { unlocked: unlock, committed: true });
      // A failed write is kept and tried again after the store sync interval; if the process dies
      // first, its session and locks end and the messages are delivered again.
      if (s.status === 'rejected') {
        this.log.error({ err: (s.reason as Error).message, count: sent.length }, 'failed to mark notifications sent');
        this.sent.push(...sent);
        retry = true;
      }
      if (f.status === 'rejected') {
        this.log.error({ err: (f.reason as Error).message, count: failed.length }, 'failed to mark notifications failed');
        this.failed.push(...failed);
        retry = true;
      }
      const synced = (s.status === 'fulfilled' ? sent.length : 0) + (f.status === 'fulfilled' ? failed.length : 0);
      this.opts.metrics.syncedUpdates.inc(synced);
      this.opts.metrics.pendingUpdates.set(this.pendingResults());
      if (synced && this.listening('flushed')) {
        this.emit('flushed', { sent: s.status === 'fulfilled' ? sent.length : 0, failed: f.status === 'fulfilled' ? failed.length : 0 });
      }
    })();
    try {
      await this.syncing;
    } finally {
      this.syncing = undefined;
      // The next write starts RESULT_GATHER_MS after this one ended, not started: under load a
      // write takes several milliseconds, and writes back to back would each carry fewer results.
      this.lastWriteAt = performance.now();
    }
    if (!this.pendingResults()) return;
    if (retry && this.active) {
      this.syncTimer = this.timers.setTimeout(() => {
        this.syncTimer = undefined;
        void this.flush();
      }, this.opts.config.storeSyncInterval);
    } else if (!retry && this.gatherTimer === undefined) {
      this.writeSoon();
    }
  }

  private async purge(): Promise<void> {
    try {
      // Partitions ahead, old days dropped (src/notifications/partitions.ts); one replica at a time.
      const r = await maintainMessagePartitions(this.opts.db);
      if (r && (r.dropped || r.deleted)) this.log.info(r, 'purged old notification messages');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'failed to purge old notification messages');
    }
  }
}
