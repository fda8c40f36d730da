import crypto from 'node:crypto';
import WebSocket from 'ws';
import type { Queryable } from '../../src/db/database.js';
import { insertInboxRows, type NewInboxRow } from '../../src/notifications/inbox/store.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

import { sleep, waitFor } from '../support/wait.js';

export { sleep, waitFor };

/** Writes inbox rows the way the dispatcher does (same insert, same NOTIFY). */
export async function addInboxRows(q: Queryable, userId: string, rows: Partial<NewInboxRow>[]): Promise<string[]> {
  const full = rows.map((r, i) => ({
    id: r.id ?? crypto.randomUUID(),
    user_id: userId,
    template_id: r.template_id ?? TEMPLATE_CUSTOM_NOTIFICATION,
    targets: r.targets ?? null,
    title: r.title ?? `title ${i}`,
    content: r.content ?? `content ${i}`,
    actions: r.actions ?? [],
  }));
  await insertInboxRows(q, full);
  return full.map((r) => r.id);
}

export interface Frame {
  notification: {
    id: string;
    user_id: string;
    template_id: string;
    targets: string[];
    title: string;
    content: string;
    icon: string;
    actions: { label: string; url: string }[];
    read_at: string | null;
    created_at: string;
    archived_at: string | null;
    snoozed_until: string | null;
    kind: string;
  };
  unread_count: number;
  /** Herald: new, due, updated, read_all (read_all frames carry no notification). */
  event: 'new' | 'due' | 'updated' | 'read_all';
}

export interface WatchClient {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves once `n` frames in total have arrived. */
  waitFrames(n: number, timeoutMs?: number): Promise<Frame[]>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Opens a real WebSocket on /notifications/inbox/watch; resolves once upgraded (rejects with the HTTP status otherwise). */
export async function openWatch(
  baseUrl: string,
  opts: { token?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<WatchClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/v2/notifications/inbox/watch${opts.query ? `?${opts.query}` : ''}`;
  const ws = new WebSocket(url, { headers: { ...(opts.token ? { 'Coder-Session-Token': opts.token } : {}), ...opts.headers } });
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    waitFrames: (n, timeoutMs = 5000) => waitFor(() => frames.length >= n && frames, timeoutMs),
    close: () => ws.close(),
  };
}

