import crypto from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { Service } from '../../lib/service.js';
import type { Logger } from '../../lib/logger.js';
import { getVersion } from '../templates/queries.js';
import { getBuildByJob } from '../workspaces/queries.js';
import { builtinResult, type Definition } from './definition.js';
import { acquireJob, appendLogs, heartbeat, hungJobs, JOB_POSTED_CHANNEL, requeueJob, type JobRow } from './jobs.js';
import { completeJob, failJob, type JobDeps } from './complete.js';

export interface BuiltinProvisionerDeps extends JobDeps {
  db: Database;
  /** Read at use, so a changed timeout applies to the next job. */
  config: { jobTimeout: number };
}

export interface BuiltinProvisionerOptions {
  /** Jobs run at once by this replica. */
  concurrency?: number;
  /** Safety-net poll; NOTIFY wakes the provisioner at once when a job is queued. */
  pollIntervalMs?: number;
}

/** Formats a timeout as the reference's hung-job message does ("5 minutes"). */
function humanDuration(ms: number): string {
  if (ms % 60_000 === 0) {
    const m = ms / 60_000;
    return `${m} minute${m === 1 ? '' : 's'}`;
  }
  if (ms < 1000) return `${ms} milliseconds`;
  const s = Math.round(ms / 1000);
  return `${s} second${s === 1 ? '' : 's'}`;
}

/**
 * The in-process, deterministic provisioner: runs `builtin` jobs exactly as their template
 * version's definition says. It also fails running jobs (of either provisioner) whose runner
 * stopped sending heartbeats for longer than --provisioner-job-timeout.
 */
export class BuiltinProvisioner implements Service {
  private readonly log: Logger;
  private readonly workerId = `builtin:${crypto.randomUUID()}`;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = true;
  private pumping = false;
  private pumpAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten?: () => Promise<void>;

  private readonly deps: BuiltinProvisionerDeps;

  constructor(deps: BuiltinProvisionerDeps, opts: BuiltinProvisionerOptions = {}) {
    this.log = deps.log.child({ component: 'provisioner' });
    // Jobs' events log as the provisioner.
    this.deps = { ...deps, log: this.log };
    this.concurrency = opts.concurrency ?? 8;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
  }

  get timeoutMs(): number {
    return this.deps.config.jobTimeout;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.deps.db.listen(JOB_POSTED_CHANNEL, () => this.wake());
    this.timers.push(setInterval(() => this.wake(), this.pollIntervalMs));
    const reapEvery = Math.max(100, Math.min(this.timeoutMs / 4, 15_000));
    this.timers.push(setInterval(() => void this.reap().catch((err) => this.log.error({ err }, 'reaping hung jobs failed')), reapEvery));
    for (const t of this.timers) t.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.unlisten?.().catch(() => undefined);
    this.abort.abort();
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Acquires and starts jobs until the queue is empty or the concurrency limit is reached. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.pumpAgain = false;
          while (!this.stopped && this.inflight.size < this.concurrency) {
            const job = await this.deps.db.tx((q) => acquireJob(q, { provisioner: 'builtin', workerId: this.workerId }));
            if (!job) break;
            const run = this.run(job)
              .catch((err) => this.log.error({ err, job_id: job.id }, 'builtin provisioner job failed unexpectedly'))
              .finally(() => {
                this.inflight.delete(job.id);
                this.wake();
              });
            this.inflight.set(job.id, run);
          }
        } while (this.pumpAgain && !this.stopped);
      } catch (err) {
        if (!this.stopped) this.log.error({ err }, 'acquiring provisioner jobs failed');
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async run(job: JobRow): Promise<void> {
    const db = this.deps.db;
    const build = await getBuildByJob(db, job.id);
    const version = job.input.template_version_id ? await getVersion(db, job.input.template_version_id) : undefined;
    if (!build || !version) {
      await db.tx((q) => failJob(this.deps, q, job, 'The job refers to a build or template version that no longer exists.'));
      return;
    }
    const def = version.definition as Definition;
    const delay = def.delay_ms ?? 0;
    if (delay > 0 && !(await this.sleepWithHeartbeat(job.id, delay))) {
      // Shutting down mid-job: hand it back so another replica (or the next start) runs it.
      await db.tx((q) => requeueJob(q, job.id)).catch((err) => this.log.warn({ err, job_id: job.id }, 'requeue failed'));
      return;
    }
    const { error, outcome } = builtinResult(def, build.transition);
    await db.tx(async (q) => {
      if (error !== undefined) {
        await appendLogs(q, job.id, outcome.logs ?? []);
        await failJob(this.deps, q, job, error);
      } else {
        await completeJob(this.deps, q, job, outcome);
      }
    });
    this.log.debug({ job_id: job.id, transition: build.transition, failed: error !== undefined }, 'builtin job finished');
  }

  /** Resolves false if the provisioner is stopping before the delay has passed. */
  private async sleepWithHeartbeat(jobId: string, ms: number): Promise<boolean> {
    const signal = this.abort.signal;
    const beat = Math.max(50, Math.floor(this.timeoutMs / 3));
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (signal.aborted) return false;
      const wait = Math.min(beat, end - Date.now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      if (signal.aborted) return false;
      await heartbeat(this.deps.db, jobId);
    }
    return true;
  }

  /** Fails running jobs whose runner vanished (no heartbeat within the timeout). */
  async reap(): Promise<number> {
    if (this.stopped) return 0;
    const timeout = this.timeoutMs;
    return this.deps.db.tx(async (q) => {
      const hung = await hungJobs(q, timeout);
      for (const job of hung) {
        this.log.warn({ job_id: job.id, worker_id: job.worker_id }, 'provisioner job hung; failing it');
        await failJob(this.deps, q, job, `Build has been detected as hung for ${humanDuration(timeout)} and will be terminated.`, 'HUNG');
      }
      return hung.length;
    });
  }
}
