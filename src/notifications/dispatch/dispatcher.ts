import type { Database } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import type { NotificationsConfig } from '../../lib/config.js';
import type { DeliveryMethod, DeliveryResult, NotificationMethod, PreparedMessage, TemplateHelpers } from '../types.js';
import type { NotificationMetrics } from '../metrics.js';
import { renderTitleBody } from '../render/message.js';
import { ENQUEUED_CHANNEL } from '../enqueue.js';
import { MessageLocks } from './lease.js';
import {
  deleteOldMessages,
  getAppearance,
  markFailed,
  markSent,
  type AcquiredMessage,
  type FailedResult,
  type SentResult,
} from './queries.js';

export const DEFAULT_APP_NAME = 'Herald';
export const DEFAULT_LOGO_URL = '/icon/herald.svg';

export interface DispatcherOptions {
  db: Database;
  config: NotificationsConfig;
  accessUrl: string;
  methods: Partial<Record<NotificationMethod, DeliveryMethod>>;
  /** Why a method cannot deliver (e.g. no webhook endpoint): its messages fail permanently. */
  unavailable?: Partial<Record<NotificationMethod, string>>;
  metrics: NotificationMetrics;
  log: Logger;
  now?: () => Date;
}

const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * Leases messages and delivers them (reference notifier + manager): woken by NOTIFY when messages
 * are enqueued, with a poll as a safety net; deliveries run concurrently up to the lease count;
 * results are written back in batches, with back-pressure when the writer falls behind.
 */
export class Dispatcher {
  private readonly opts: DispatcherOptions;
  private readonly now: () => Date;
  private running = false;
  private stopped = false;
  private fetching = false;
  /** The last fetch filled every free slot, so more messages are probably waiting. */
  private moreWaiting = false;
  private wakeAgain = false;
  private inflight = 0;
  private readonly inflightDone = new Set<Promise<void>>();
  private sent: SentResult[] = [];
  private failed: FailedResult[] = [];
  private syncing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAtMs = 0;
  private purgeTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private appearance: { at: number; value: { application_name: string; logo_url: string } } | undefined;
  private readonly locks: MessageLocks;

  constructor(opts: DispatcherOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.locks = new MessageLocks(opts.db, opts.log);
  }

  private get log(): Logger {
    return this.opts.log;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error('dispatcher already closed');
    if (this.running) return;
    this.running = true;
    this.unlisten = await this.opts.db.listen(ENQUEUED_CHANNEL, () => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.opts.config.fetchInterval);
    this.pollTimer.unref();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    void this.purge();
    this.wake();
  }

  /** Stops leasing, lets in-flight deliveries finish and writes every result back. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.purgeTimer);
    clearTimeout(this.retryTimer);
    await this.unlisten?.().catch(() => undefined);
    // A lease running at stop still delivers what it got: wait for it and for every delivery.
    while (this.fetching || this.inflightDone.size) {
      if (this.inflightDone.size) await Promise.allSettled([...this.inflightDone]);
      else await new Promise((r) => setTimeout(r, 5));
    }
    await this.flush();
    // Results that could not be written stay unleased for another replica (or the next start).
    await this.locks.close();
  }

  /**
   * Asks for a fetch now; coalesces with one already running. `refill` is a wake-up from a finished
   * delivery: it fetches only once half the lease count is free (or nothing is in flight), so a busy
   * dispatcher leases in batches instead of one message per completed delivery.
   */
  wake(refill = false): void {
    if (!this.running || this.stopped) return;
    if (refill && !this.moreWaiting) return;
    if (refill && this.inflight > 0 && this.capacity - this.inflight < Math.ceil(this.capacity / 2)) return;
    if (this.fetching) {
      this.wakeAgain = true;
      return;
    }
    void this.fetchLoop();
  }

  private get capacity(): number {
    return this.opts.config.leaseCount;
  }

  private pendingResults(): number {
    return this.sent.length + this.failed.length;
  }

  private async fetchLoop(): Promise<void> {
    this.fetching = true;
    try {
      do {
        this.wakeAgain = false;
        // Back-pressure: no new leases while results wait to be written or deliveries are full.
        if (this.pendingResults() >= this.opts.config.storeSyncBufferSize) {
          await this.flush();
        }
        const free = this.capacity - this.inflight;
        if (this.stopped) break;
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
        if (batch.length) await this.dispatchBatch(batch);
        this.moreWaiting = batch.length === free;
        if (this.moreWaiting && this.capacity - this.inflight > 0) this.wakeAgain = true;
      } while (this.wakeAgain && !this.stopped);
    } finally {
      this.fetching = false;
    }
  }

  private async helpers(): Promise<TemplateHelpers> {
    const now = Date.now();
    if (!this.appearance || now - this.appearance.at > 5000) {
      this.appearance = { at: now, value: await getAppearance(this.opts.db) };
    }
    const a = this.appearance.value;
    return {
      base_url: this.opts.accessUrl,
      current_year: String(this.now().getUTCFullYear()),
      app_name: a.application_name || DEFAULT_APP_NAME,
      logo_url: a.logo_url || `${this.opts.accessUrl}${DEFAULT_LOGO_URL}`,
    };
  }

  private async dispatchBatch(batch: AcquiredMessage[]): Promise<void> {
    let helpers: TemplateHelpers | undefined;
    let helpersError: string | undefined;
    try {
      helpers = await this.helpers();
    } catch (err) {
      helpersError = `failed to fetch app name and logo: ${(err as Error).message}`;
    }
    for (const msg of batch) {
      if (msg.disabled) {
        this.record(msg, { status: 'inhibited', reason: 'disabled by user' });
        continue;
      }
      if (!helpers) {
        this.record(msg, { status: 'temporary_failure', reason: helpersError! });
        continue;
      }
      const prepared = this.prepare(msg, helpers);
      if ('error' in prepared) {
        this.record(msg, { status: 'permanent_failure', reason: prepared.error });
        continue;
      }
      this.deliver(msg, prepared.method, prepared.message);
    }
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
      const { title, body } = renderTitleBody(msg, msg.payload, helpers);
      return {
        method,
        message: { id: msg.id, templateId: msg.template_id, payload: msg.payload, titleMarkdown: title, bodyMarkdown: body, helpers },
      };
    } catch (err) {
      return { error: `render notification: ${(err as Error).message}` };
    }
  }

  private deliver(msg: AcquiredMessage, method: DeliveryMethod, message: PreparedMessage): void {
    const m = this.opts.metrics;
    const labels = { method: msg.method, notification_template_id: msg.template_id };
    if (msg.attempt_count > 0) m.retryCount.inc(labels);
    m.queuedSeconds.observe({ method: msg.method }, msg.queued_seconds);
    m.inflightDispatches.inc(labels);
    this.inflight++;
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.opts.config.dispatchTimeout);
    const done = method
      .deliver(message, timeout)
      .catch((err): DeliveryResult => ({ ok: false, retryable: true, error: (err as Error).message }))
      .then((result) => {
        m.dispatcherSendSeconds.observe({ method: msg.method }, (performance.now() - started) / 1000);
        m.inflightDispatches.dec(labels);
        this.inflight--;
        if (result.ok) {
          m.dispatchAttempts.inc({ ...labels, result: 'success' });
          this.sent.push({ id: msg.id, at: this.now() });
        } else {
          const temporary = result.retryable && msg.attempt_count < this.opts.config.maxSendAttempts - 1;
          m.dispatchAttempts.inc({ ...labels, result: temporary ? 'temp_fail' : 'perm_fail' });
          this.log.warn({ msg_id: msg.id, method: msg.method, retryable: result.retryable, reason: result.error }, 'notification delivery failed');
          this.record(msg, {
            status: result.retryable ? 'temporary_failure' : 'permanent_failure',
            reason: result.error,
            retryAt: result.retryAfterMs !== undefined ? new Date(Date.now() + Math.min(result.retryAfterMs, 3_600_000)) : undefined,
          });
          return;
        }
        this.resultReady();
      })
      .finally(() => {
        this.inflightDone.delete(done);
        this.wake(true);
      });
    this.inflightDone.add(done);
  }

  private record(msg: AcquiredMessage, f: Omit<FailedResult, 'id' | 'at'>): void {
    this.failed.push({ id: msg.id, at: this.now(), ...f });
    if (f.status === 'temporary_failure') {
      const delay = f.retryAt ? f.retryAt.getTime() - Date.now() : this.opts.config.retryInterval;
      this.wakeAt(delay);
    }
    this.resultReady();
  }

  /** Retries are due at a known time: wake then rather than at the next poll. */
  private wakeAt(delayMs: number): void {
    if (delayMs >= this.opts.config.fetchInterval) return;
    const at = Date.now() + Math.max(0, delayMs) + 20;
    if (this.retryTimer && this.retryAtMs <= at) return;
    clearTimeout(this.retryTimer);
    this.retryAtMs = at;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, at - Date.now());
    this.retryTimer.unref();
  }

  private resultReady(): void {
    this.opts.metrics.pendingUpdates.set(this.pendingResults());
    // Group commit: write at once when no write is running; results arriving meanwhile are
    // written together as soon as it ends.
    if (!this.syncing && !this.syncTimer) void this.flush();
  }

  /** Writes buffered results; one writer at a time, everything buffered goes in the next write. */
  async flush(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (!this.pendingResults()) return;
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
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
      await this.locks.release(written.map((x) => x.id), { unlocked: unlock });
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
    })();
    try {
      await this.syncing;
    } finally {
      this.syncing = undefined;
    }
    if (!this.pendingResults()) return;
    if (retry && !this.stopped) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        void this.flush();
      }, this.opts.config.storeSyncInterval);
      this.syncTimer.unref();
    } else if (!retry) {
      void this.flush();
    }
  }

  private async purge(): Promise<void> {
    try {
      const n = await deleteOldMessages(this.opts.db);
      if (n) this.log.info({ deleted: n }, 'purged old notification messages');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'failed to purge old notification messages');
    }
  }
}
