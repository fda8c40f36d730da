// Following a build's logs while it runs (the reference's `GET /workspacebuilds/{id}/logs?follow=true`).
//
// One LISTEN per server, opened with the first follower and closed with the last: every writer of log
// lines (the built-in provisioner, external runners through the API, the claim's replacement notes)
// and every job completion NOTIFYs the job id, on commit. A follower then reads the lines after the
// last one it sent, in order, and ends once the job has finished and its last lines went out. A slow
// safety-net poll covers a notification lost while the LISTEN connection was re-established.

import type { Database } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { getJob, getLogs, JOB_LOGS_CHANNEL, type LogRow } from '../provisioner/jobs.js';

export interface BuildLogJson {
  id: number;
  created_at: string;
  log_source: string;
  log_level: string;
  stage: string;
  output: string;
}

export function presentLog(l: LogRow): BuildLogJson {
  return { id: l.id, created_at: l.created_at.toISOString(), log_source: l.source, log_level: l.level, stage: l.stage, output: l.output };
}

/** Where a follower's lines go: each call carries the next lines in order; `end` once, after the last. */
export interface LogSink {
  send(logs: BuildLogJson[]): void;
  end(): void;
}

const DONE = new Set(['succeeded', 'failed', 'canceled']);

interface Follower {
  jobId: string;
  after: number;
  sink: LogSink;
  /** A read is running; `again` asks for one more after it. */
  busy: boolean;
  again: boolean;
  closed: boolean;
}

export interface LogFollowersOptions {
  db: Database;
  log: Logger;
  /** Safety-net re-read of every follower (default 5 s). */
  pollMs?: number;
}

export class LogFollowers {
  private readonly byJob = new Map<string, Set<Follower>>();
  private listening: Promise<() => Promise<void>> | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly o: LogFollowersOptions) {}

  /** Open followers (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const s of this.byJob.values()) n += s.size;
    return n;
  }

  /**
   * Sends the job's lines after `after` now and every new one as it is written, then ends when the
   * job has finished. The returned function stops following (the client went away).
   */
  async follow(jobId: string, after: number, sink: LogSink): Promise<() => void> {
    const f: Follower = { jobId, after, sink, busy: false, again: false, closed: false };
    const set = this.byJob.get(jobId) ?? new Set<Follower>();
    set.add(f);
    this.byJob.set(jobId, set);
    // Listen before the first read, so no line written in between is missed.
    try {
      await this.ensureListening();
    } catch (err) {
      this.remove(f);
      throw err;
    }
    void this.pump(f);
    return () => this.remove(f);
  }

  private async ensureListening(): Promise<void> {
    if (!this.listening) {
      this.listening = this.o.db.listen(JOB_LOGS_CHANNEL, (payload) => {
        for (const f of this.byJob.get(payload) ?? []) void this.pump(f);
      });
      this.listening.catch(() => (this.listening = undefined));
      this.poll = setInterval(() => {
        for (const set of this.byJob.values()) for (const f of set) void this.pump(f);
      }, this.o.pollMs ?? 5000);
      this.poll.unref?.();
    }
    await this.listening;
  }

  private remove(f: Follower): void {
    f.closed = true;
    const set = this.byJob.get(f.jobId);
    if (!set) return;
    set.delete(f);
    if (set.size === 0) this.byJob.delete(f.jobId);
    if (this.byJob.size === 0 && this.listening) {
      const l = this.listening;
      this.listening = undefined;
      clearInterval(this.poll);
      this.poll = undefined;
      void l.then((stop) => stop()).catch(() => undefined);
    }
  }

  /** Reads and sends what is new; one read at a time per follower, repeated while asked. */
  private async pump(f: Follower): Promise<void> {
    if (f.closed) return;
    if (f.busy) {
      f.again = true;
      return;
    }
    f.busy = true;
    try {
      do {
        f.again = false;
        // The job's state first: lines written before it finished are all there by then.
        const job = await getJob(this.o.db, f.jobId);
        const rows = await getLogs(this.o.db, f.jobId, f.after);
        if (f.closed) return;
        if (rows.length) {
          f.after = rows[rows.length - 1]!.id;
          f.sink.send(rows.map(presentLog));
        }
        if (!job || DONE.has(job.status)) {
          f.sink.end();
          this.remove(f);
          return;
        }
      } while (f.again && !f.closed);
    } catch (err) {
      this.o.log.warn({ err, job_id: f.jobId }, 'reading build logs for a follower failed; retrying at the next poll');
    } finally {
      f.busy = false;
    }
  }

  async close(): Promise<void> {
    for (const set of [...this.byJob.values()]) for (const f of [...set]) {
      f.sink.end();
      this.remove(f);
    }
  }
}
