// Which path an event takes between enqueue and dispatch (issue 19): straight to the queue, into a
// burst group (first at once, the rest as one grouped message), held by a throttle, or into a
// digest / quiet-hours hold. Pure functions: enqueue reads the rules with the templates and users
// it already looks up, so an event with no rule costs nothing extra.

import type { NotificationMethod } from '../types.js';
import { inWindow, localMinute, nextLocalHour, nextLocalMinute } from './zone.js';

/** notification_template_rules, as enqueue reads it (to_jsonb of the row). */
export interface TemplateRules {
  window_seconds: number;
  group_key: string[];
  mode: 'list' | 'latest';
  max_window_seconds: number | null;
  family: string | null;
  item: string;
  throttle_count: number | null;
  throttle_period_seconds: number | null;
  critical: boolean;
}

/** notification_user_rules, as enqueue reads it. */
export interface UserRules {
  time_zone: string;
  quiet_start: number | null;
  quiet_end: number | null;
  digest: 'hourly' | 'daily' | null;
  digest_at: number;
  digest_templates: string[] | null;
}

export type HoldReason = 'burst' | 'throttle' | 'digest' | 'quiet_hours';

/** An event that does not take the fast path. */
export interface Routed {
  kind: 'group' | 'digest';
  family: string;
  key: string;
  /** When a group opened by this event is due (a digest's fixed time; a group's window end). */
  dueAt: Date;
  /** latest mode: how far held events may push the window out. */
  maxDueAt: Date | null;
  reason: HoldReason;
  /** A group's first event goes out at once (burst grouping); digests hold everything. */
  immediateFirst: boolean;
  throttle: { count: number; periodSeconds: number } | null;
}

export const DIGEST_FAMILY = 'digest';

export function isQuiet(u: UserRules | null | undefined, at: Date): boolean {
  if (!u || u.quiet_start == null || u.quiet_end == null) return false;
  return inWindow(localMinute(at, u.time_zone), u.quiet_start, u.quiet_end);
}

/** Where an event goes; undefined = the fast path (a plain pending message). */
export function route(
  p: { templateId: string; method: NotificationMethod; labels: Record<string, string>; template: TemplateRules | null | undefined; user: UserRules | null | undefined },
  now: Date,
): Routed | undefined {
  const t = p.template;
  if (t?.critical) return undefined;
  const u = p.user;
  // The inbox stays live: digests and quiet hours hold e-mail, webhooks, chat and push only.
  if (u && p.method !== 'inbox') {
    if (isQuiet(u, now)) {
      const due = nextLocalMinute(now, u.time_zone, u.quiet_end!);
      return digest('quiet_hours', due);
    }
    if (u.digest && (!u.digest_templates || u.digest_templates.includes(p.templateId))) {
      const due = u.digest === 'hourly' ? nextLocalHour(now, u.time_zone) : nextLocalMinute(now, u.time_zone, u.digest_at);
      return digest('digest', due);
    }
  }
  if (!t) return undefined;
  const throttle = t.throttle_count && t.throttle_period_seconds ? { count: t.throttle_count, periodSeconds: t.throttle_period_seconds } : null;
  if (t.window_seconds <= 0 && !throttle) return undefined;
  const windowMs = (t.window_seconds > 0 ? t.window_seconds : throttle!.periodSeconds) * 1000;
  return {
    kind: 'group',
    // A throttle counts per template: a throttle-only group never shares a family's burst group.
    family: t.window_seconds > 0 ? t.family ?? p.templateId : p.templateId,
    key: t.group_key.map((k) => p.labels[k] ?? '').join('\u001f'),
    dueAt: new Date(now.getTime() + windowMs),
    maxDueAt: t.mode === 'latest' && t.max_window_seconds ? new Date(now.getTime() + t.max_window_seconds * 1000) : null,
    reason: t.window_seconds > 0 ? 'burst' : 'throttle',
    // Throttle only (no window): under the limit an event is not grouped at all; over it, it is held
    // in a group due when the throttle's period ends (see hold.ts; dueAt is not used then).
    immediateFirst: true,
    throttle,
  };

  function digest(reason: HoldReason, due: Date): Routed {
    // One hold per release time: events held for the same time travel in the same digest.
    return { kind: 'digest', family: DIGEST_FAMILY, key: due.toISOString(), dueAt: due, maxDueAt: null, reason, immediateFirst: false, throttle: null };
  }
}

/** How a held event is named in a grouped message: `{label}` placeholders filled from its labels. */
export function itemName(item: string, labels: Record<string, string>): string {
  return item.replace(/\{([A-Za-z0-9_]+)\}/g, (_, k: string) => labels[k] ?? '');
}

/** Grouped messages list this many items by name, then "and N more". */
export const MAX_LISTED = 25;
