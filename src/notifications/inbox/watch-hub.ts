import type { WebSocket } from 'ws';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { INBOX_CHANNEL, type InboxBatchEvent, type InboxEvent, type InboxNotification } from './store.js';
import { systemClock, type Clock } from '../../lib/service.js';
import {
  countUnread,
  deadKeyIds,
  getInboxRow,
  inboxRowsWithUnread,
  matchesFilter,
  matchesSubject,
  presentInbox,
  type InboxFilter,
  type InboxFormat,
} from './queries.js';

/** A watcher whose socket has this much unsent data gets no more frames until it drains. */
export const WATCH_HIGH_WATER_BYTES = 1024 * 1024;

/** Default cap on one user's open watches on one server (--notifications-inbox-max-watchers-per-user). */
export const DEFAULT_MAX_WATCHERS_PER_USER = 32;

/** Close code of a watch refused because its user has too many open (4000-4999: for applications). */
export const CLOSE_TOO_MANY_WATCHERS = 4429;

export interface Watcher {
  userId: string;
  /** The API key the socket authenticated with: revoking it ends the watch. */
  keyId: string;
  filter: InboxFilter;
  format: InboxFormat;
  /**
   * Herald (`updates=true`): also send the user's changes (read, unread, archive, snooze, mark all
   * read) so another tab stays in step. Off by default: a reference client prepends every frame.
   */
  updates?: boolean;
  socket: WebSocket;
  dropped: number;
  alive: boolean;
}

export interface WatchHubOptions {
  db: Database;
  log: Logger;
  /** Ping interval; a socket that has not answered the previous ping is terminated. */
  heartbeatMs?: number;
  /** How often the sessions of open watches are re-checked (logout, expiry, suspension). */
  sessionCheckMs?: number;
  highWaterBytes?: number;
  /** Open watches one user may hold on this server; a new one past it is closed at once. 0: no cap. */
  maxPerUser?: number;
  clock?: Clock;
}

/**
 * The heartbeat pings the watches a slot at a time, spread over the interval: pinging 5,000
 * sockets in one go is 5,000 writes that stalled the loop for 200-400 ms on a loaded box, and
 * every frame due meanwhile waited (and so did the clients' 5,000 pongs).
 */
const HEARTBEAT_SLOTS = 30;

const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;

/**
 * Fans inbox events out to this server's WebSocket watchers. One LISTEN per server: the
 * dispatcher on any replica NOTIFYs once per batch of inbox rows it writes (`[user_id, id]` pairs),
 * every replica's hub hears it, loads the rows of the users it has watchers for (one query per
 * batch, with their unread counts) and forwards each to its own sockets of that user, serialized
 * once per format. Each user's events are handled in order; a slow
 * socket only loses its own frames (dropped above a buffered-bytes high-water mark), it never
 * delays another watcher.
 */
export class InboxWatchHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Per-user chain so frames (and their unread counts) go out in event order. */
  private readonly chains = new Map<string, Promise<void>>();
  private unlisten?: () => Promise<void>;
  private heartbeat?: NodeJS.Timeout;
  /** Each watch is in one heartbeat slot (round robin); one slot is pinged per tick. */
  private readonly slots: Set<Watcher>[] = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set());
  private nextSlot = 0;
  private tick = 0;
  private sessionCheck?: NodeJS.Timeout;
  private checking = false;
  private stopped = false;
  private readonly highWater: number;

  constructor(private readonly opts: WatchHubOptions) {
    this.highWater = opts.highWaterBytes ?? WATCH_HIGH_WATER_BYTES;
  }

  async start(): Promise<void> {
    this.unlisten = await this.opts.db.listen(INBOX_CHANNEL, (payload) => this.onEvent(payload));
    this.heartbeat = setInterval(() => this.ping(), (this.opts.heartbeatMs ?? 15_000) / HEARTBEAT_SLOTS);
    this.heartbeat.unref();
    this.sessionCheck = setInterval(() => void this.checkSessions(), this.opts.sessionCheckMs ?? 2_000);
    this.sessionCheck.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.sessionCheck);
    for (const set of this.watchers.values()) {
      for (const w of set) w.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
    }
    this.watchers.clear();
    for (const slot of this.slots) slot.clear();
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
  }

  get size(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }

  /** Registers an open socket; it is removed when it closes. */
  add(w: Watcher): void {
    if (this.stopped) {
      w.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      return;
    }
    let set = this.watchers.get(w.userId);
    const max = this.opts.maxPerUser ?? DEFAULT_MAX_WATCHERS_PER_USER;
    if (max > 0 && (set?.size ?? 0) >= max) {
      // The new one is refused, not the oldest: a client stuck in a reconnect loop cannot evict
      // the user's working tabs.
      this.opts.log.warn({ user_id: w.userId, max }, 'inbox watch refused: too many open for this user');
      w.socket.close(CLOSE_TOO_MANY_WATCHERS, `too many open inbox watches (at most ${max} per user)`);
      return;
    }
    if (!set) this.watchers.set(w.userId, (set = new Set()));
    set.add(w);
    const slot = this.nextSlot++ % HEARTBEAT_SLOTS;
    this.slots[slot]!.add(w);
    w.socket.on('pong', () => {
      w.alive = true;
    });
    const remove = () => {
      this.slots[slot]!.delete(w);
      const s = this.watchers.get(w.userId);
      if (!s) return;
      s.delete(w);
      if (s.size === 0) this.watchers.delete(w.userId);
    };
    w.socket.on('close', remove);
    w.socket.on('error', (err) => {
      this.opts.log.debug({ err: err.message, user_id: w.userId }, 'inbox watch socket error');
      remove();
    });
  }

  private onEvent(payload: string): void {
    let ev: InboxEvent | InboxBatchEvent;
    try {
      ev = JSON.parse(payload) as InboxEvent | InboxBatchEvent;
    } catch {
      this.opts.log.warn({ payload: payload.slice(0, 200) }, 'malformed inbox event');
      return;
    }
    if (!ev || typeof ev !== 'object') return;
    if ('rows' in ev) return this.onBatch(ev);
    if (!['new', 'update', 'due', 'read_all'].includes(ev.kind) || !this.watchers.has(ev.user_id)) return;
    const single = ev;
    this.enqueue(ev.user_id, () => this.deliver(single));
  }

  /** Runs `task` after the user's earlier events (frames go out in event order). */
  private enqueue(userId: string, task: () => Promise<void>): void {
    const prev = this.chains.get(userId) ?? Promise.resolve();
    const next = prev
      .then(task)
      .catch((err) => this.opts.log.error({ err: (err as Error).message, user_id: userId }, 'inbox watch delivery failed'));
    this.chains.set(userId, next);
    void next.then(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
  }

  /** A batch of new or due rows: the ones for users watched here are loaded in one query. */
  private onBatch(ev: InboxBatchEvent): void {
    if ((ev.kind !== 'new' && ev.kind !== 'due') || !Array.isArray(ev.rows)) return;
    const mine = ev.rows.filter((r) => Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'string' && this.watchers.has(r[0]));
    if (!mine.length) return;
    const now = (this.opts.clock ?? systemClock)();
    // Started at once (the rows are committed: NOTIFY is delivered after the commit); each user's
    // frames still wait for that user's earlier events.
    const loaded = inboxRowsWithUnread(this.opts.db, [...new Set(mine.map((r) => r[1]))], now);
    loaded.catch(() => undefined);
    const users = new Map<string, string[]>();
    for (const [u, id] of mine) users.set(u, [...(users.get(u) ?? []), id]);
    for (const [userId, ids] of users) {
      this.enqueue(userId, async () => {
        const rows = await loaded;
        const byId = new Map(rows.map((x) => [x.row.id, x]));
        for (const id of ids) {
          const x = byId.get(id);
          if (x) this.fanOut(userId, x.row, x.unread, ev.kind, now);
        }
      });
    }
  }

  /** Sends a new or due row to every watch of its user whose filters it matches. */
  private fanOut(userId: string, row: InboxNotification, unread: number, event: 'new' | 'due', now: Date): void {
    const set = this.watchers.get(userId);
    if (!set?.size) return;
    const frames = new Map<InboxFormat, string>();
    for (const w of set) {
      if (!matchesFilter(row, w.filter, now)) continue;
      let frame = frames.get(w.format);
      if (!frame) {
        frame = JSON.stringify({ notification: presentInbox(row, w.format), unread_count: unread, event });
        frames.set(w.format, frame);
      }
      this.send(w, frame);
    }
  }

  private async deliver(ev: InboxEvent): Promise<void> {
    const set = this.watchers.get(ev.user_id);
    if (!set?.size) return;
    const now = (this.opts.clock ?? systemClock)();
    if (ev.kind === 'read_all') {
      const targets = [...set].filter((w) => w.updates);
      if (!targets.length) return;
      const frame = JSON.stringify({ event: 'read_all', unread_count: await countUnread(this.opts.db, ev.user_id, now) });
      for (const w of targets) this.send(w, frame);
      return;
    }
    let n: InboxNotification | undefined = ev.inbox_notification;
    // Rows too large for a NOTIFY payload are announced by id only.
    if (!n && ev.id) n = await getInboxRow(this.opts.db, ev.id);
    if (!n) return;
    const row = n;
    // New and due rows go to every watch whose filters they match (a due row is back, as if new);
    // a change goes to the watches that asked for changes and are about that row's subject, whatever
    // its state now, so a tab can drop a row that left its view.
    const targets = [...set].filter((w) =>
      ev.kind === 'update' ? w.updates && matchesSubject(row, w.filter) : matchesFilter(row, w.filter, now),
    );
    if (!targets.length) return;
    const unread = await countUnread(this.opts.db, ev.user_id, now);
    const event = ev.kind === 'update' ? 'updated' : ev.kind;
    const frames = new Map<InboxFormat, string>();
    for (const w of targets) {
      let frame = frames.get(w.format);
      if (!frame) {
        frame = JSON.stringify({ notification: presentInbox(row, w.format), unread_count: unread, event });
        frames.set(w.format, frame);
      }
      this.send(w, frame);
    }
  }

  private send(w: Watcher, frame: string): void {
    if (w.socket.readyState !== w.socket.OPEN) return;
    if (w.socket.bufferedAmount > this.highWater) {
      w.dropped++;
      if (w.dropped === 1 || w.dropped % 100 === 0) {
        this.opts.log.warn({ user_id: w.userId, dropped: w.dropped }, 'inbox watcher is not reading; frames dropped');
      }
      return;
    }
    w.socket.send(frame);
  }

  /** Pings this tick's slot: each watch once per heartbeat interval. */
  private ping(): void {
    const slot = this.slots[this.tick++ % HEARTBEAT_SLOTS]!;
    for (const w of slot) {
      if (!w.alive) {
        w.socket.terminate();
        continue;
      }
      w.alive = false;
      try {
        w.socket.ping();
      } catch {
        // closed meanwhile
      }
    }
  }

  /** Ends watches whose API key was deleted (logout) or expired, or whose user was suspended. */
  private async checkSessions(): Promise<void> {
    if (this.checking || this.stopped || this.watchers.size === 0) return;
    this.checking = true;
    try {
      const keys = new Set<string>();
      for (const set of this.watchers.values()) for (const w of set) keys.add(w.keyId);
      const dead = await deadKeyIds(this.opts.db, [...keys]);
      if (dead.size) {
        for (const set of this.watchers.values()) {
          for (const w of set) {
            // Watches that started while the query ran were not checked: they are not in `dead`.
            if (dead.has(w.keyId)) w.socket.close(CLOSE_POLICY, 'session ended');
          }
        }
      }
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'inbox watch session check failed');
    } finally {
      this.checking = false;
    }
  }
}
