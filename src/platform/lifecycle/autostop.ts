import type { CronExpressionParser as Parser } from 'cron-parser';
import { lazyModule } from '../../lib/lazy-module.js';

const cronParser = lazyModule<{ CronExpressionParser: typeof Parser }>('cron-parser');
import { parseWeekly, ScheduleError, weekdayIn } from './schedule.js';

/**
 * The max deadline of a start build (the reference's CalculateAutostop, its autostop-requirement
 * half): the template's autostop requirement (days of the week, every N weeks) picks a day, and
 * the owner's quiet-hours schedule picks the time on that day, both in the quiet-hours time zone.
 * The deadline is never later than the max deadline and activity never bumps it past.
 */

/** The deployment's default quiet hours (the reference's default): midnight UTC. */
export const DEFAULT_QUIET_HOURS_SCHEDULE = 'CRON_TZ=UTC 0 0 * * *';

/** Workspaces started within this long of the quiet hours skip to the next allowed day. */
const LEEWAY_MS = 60 * 60_000;
/** Subtracted before looking up the next quiet-hours time, so a start exactly on it still counts. */
const BUFFER_MS = 15 * 60_000;
const DAY_MS = 24 * 3600_000;

/** The first Monday of 2023 at 00:00 in the zone: week 0 of the "every N weeks" counting. */
const EPOCH = { y: 2023, m: 1, d: 2 };

interface LocalDate {
  y: number;
  m: number;
  d: number;
}

function localDate(tz: string, at: Date): LocalDate {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

const sameDate = (a: LocalDate, b: LocalDate) => a.y === b.y && a.m === b.m && a.d === b.d;

/** The first instant strictly after `after` matching the 5-field cron in the zone. */
function cronNext(cron: string, tz: string, after: Date): Date {
  return cronParser().CronExpressionParser.parse(cron, { currentDate: after, tz }).next().toDate();
}

/** 00:00 of a calendar date in the zone (daylight-saving safe: found by the zone's own midnights). */
function midnightOf(tz: string, date: LocalDate): Date {
  let at = cronNext('0 0 * * *', tz, new Date(Date.UTC(date.y, date.m - 1, date.d) - 15 * 3600_000));
  for (let i = 0; i < 3 && !sameDate(localDate(tz, at), date); i++) at = cronNext('0 0 * * *', tz, at);
  return at;
}

const truncateMidnight = (tz: string, at: Date) => midnightOf(tz, localDate(tz, at));

function nextDayMidnight(tz: string, at: Date): Date {
  const d = localDate(tz, at);
  const next = new Date(Date.UTC(d.y, d.m - 1, d.d + 1));
  return midnightOf(tz, { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() });
}

/** Calendar days (in the zone) since the epoch Monday, divided by 7. */
export function weeksSinceEpoch(tz: string, at: Date): number {
  const d = localDate(tz, at);
  const days = Math.round((Date.UTC(d.y, d.m - 1, d.d) - Date.UTC(EPOCH.y, EPOCH.m - 1, EPOCH.d)) / DAY_MS);
  if (days < 0) throw new Error('the system clock is before 2023: cannot compute the template autostop requirement');
  return Math.floor(days / 7);
}

/** `at` itself in a week divisible by n, else 00:00 of the Monday of the next such week. */
function nextApplicableMonday(tz: string, at: Date, n: number): Date {
  const week = weeksSinceEpoch(tz, at);
  const rem = week % n;
  if (rem === 0) return at;
  const monday = new Date(Date.UTC(EPOCH.y, EPOCH.m - 1, EPOCH.d + (week + n - rem) * 7));
  return midnightOf(tz, { y: monday.getUTCFullYear(), m: monday.getUTCMonth() + 1, d: monday.getUTCDate() });
}

/**
 * A quiet-hours schedule: a daily cron (`CRON_TZ=<zone> <minute> <hour> * * *`), as the reference's
 * cron.Daily. Returns its zone and its time of day (HH:MM).
 */
export function parseDaily(raw: string): { tz: string; time: string } {
  const s = parseWeekly(raw);
  const [min, hour, , , dow] = s.cron.split(' ');
  if (dow !== '*') throw new ScheduleError('a quiet hours schedule is daily: day-of-week must be *');
  if (!/^\d{1,2}$/.test(min) || !/^\d{1,2}$/.test(hour)) throw new ScheduleError('minute and hour must be single values, e.g. "0 2"');
  return { tz: s.tz, time: `${hour.padStart(2, '0')}:${min.padStart(2, '0')}` };
}

/** The next quiet-hours time after `now`. */
export function nextQuietHours(raw: string, now: Date): Date {
  const s = parseWeekly(raw);
  return cronNext(s.cron, s.tz, now);
}

/** Reference bitmap: Monday bit 0 … Sunday bit 6; JS getDay(): Sunday 0. */
const bitOf = (jsDay: number) => (jsDay + 6) % 7;

/**
 * The max deadline for a build started at `now`, or undefined when the template has no autostop
 * requirement (days bitmap 0).
 */
export function computeMaxDeadline(now: Date, quietHours: string, days: number, weeks: number): Date | undefined {
  if (!days) return undefined;
  const q = parseWeekly(quietHours || DEFAULT_QUIET_HOURS_SCHEDULE);
  const next = (after: Date) => cronNext(q.cron, q.tz, after);
  const t = now.getTime();
  let day = truncateMidnight(q.tz, new Date(t + LEEWAY_MS));
  if (weeks > 1) day = nextApplicableMonday(q.tz, day, weeks);
  // Today's quiet hours are too close (or past): start looking tomorrow.
  if (next(new Date(day.getTime() - BUFFER_MS)).getTime() < t + LEEWAY_MS) day = nextDayMidnight(q.tz, day);
  for (let i = 0; ; i++) {
    if (i === 7) throw new Error('no day of the autostop requirement in the next 7 days');
    if (days & (1 << bitOf(weekdayIn(q.tz, day)))) break;
    day = nextDayMidnight(q.tz, day);
  }
  const check = day.getTime() < t + LEEWAY_MS ? new Date(t + LEEWAY_MS) : new Date(day.getTime() - BUFFER_MS);
  return next(check);
}

/**
 * Deadline and max deadline of a start build: the deadline is now + TTL (zero: none), pulled in
 * to the max deadline when that is sooner, or set to it when there is no TTL.
 */
export function calculateAutostop(
  now: Date,
  o: { ttlMs: number; quietHours: string; days: number; weeks: number },
): { deadline?: Date; maxDeadline?: Date } {
  let deadline = o.ttlMs > 0 ? new Date(now.getTime() + o.ttlMs) : undefined;
  const maxDeadline = computeMaxDeadline(now, o.quietHours, o.days, o.weeks);
  if (maxDeadline && (!deadline || maxDeadline < deadline)) deadline = maxDeadline;
  return { deadline, maxDeadline };
}
