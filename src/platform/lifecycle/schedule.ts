import type { CronExpressionParser as Parser } from 'cron-parser';
import { lazyModule } from '../../lib/lazy-module.js';

const cronParser = lazyModule<{ CronExpressionParser: typeof Parser }>('cron-parser');

/**
 * A workspace autostart schedule as the reference stores it: `CRON_TZ=<zone> <min> <hour> * * <dow>`
 * (the time zone prefix is optional and defaults to UTC). Day of month and month must be `*`:
 * schedules are weekly.
 */
export interface WeeklySchedule {
  tz: string;
  cron: string;
}

export class ScheduleError extends Error {}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function parseWeekly(raw: string): WeeklySchedule {
  let s = raw.trim();
  let tz = 'UTC';
  const m = /^CRON_TZ=(\S+)\s+(.*)$/.exec(s);
  if (m) {
    tz = m[1];
    s = m[2];
  }
  if (!validZone(tz)) throw new ScheduleError(`invalid time zone "${tz}"`);
  const fields = s.split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError('expected 5 cron fields: minute hour day-of-month month day-of-week');
  if (fields[2] !== '*' || fields[3] !== '*') throw new ScheduleError('day-of-month and month must be *: schedules are weekly');
  try {
    cronParser().CronExpressionParser.parse(fields.join(' '), { tz });
  } catch (err) {
    throw new ScheduleError(`invalid cron expression: ${(err as Error).message}`);
  }
  return { tz, cron: fields.join(' ') };
}

/** JS getDay() (Sunday 0) → the reference's bitmap bit (Monday bit 0 … Sunday bit 6). */
const bitOf = (jsDay: number) => (jsDay + 6) % 7;

export function weekdayIn(tz: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short' }).format(at);
  return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(name);
}

/**
 * The first time strictly after `after` that the schedule fires on a day the template allows
 * (`allowedDays` bitmap, 0b1111111 = every day), in the schedule's time zone, so daylight-saving
 * changes move the UTC instant and not the wall-clock time.
 */
export function nextAllowedAutostart(after: Date, raw: string, allowedDays = 0b1111111): Date | undefined {
  const s = parseWeekly(raw);
  const it = cronParser().CronExpressionParser.parse(s.cron, { currentDate: after, tz: s.tz });
  // A weekly schedule repeats within 7 days; look a little further for the allowed-days filter.
  for (let i = 0; i < 7 * 24 * 60; i++) {
    const next = it.next().toDate();
    if (next.getTime() <= after.getTime()) continue;
    if (allowedDays & (1 << bitOf(weekdayIn(s.tz, next)))) return next;
    if (next.getTime() - after.getTime() > 15 * 24 * 3600_000) return undefined;
  }
  return undefined;
}

export const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Day = (typeof DAYS)[number];

export function daysToBitmap(days: readonly string[]): number {
  let bits = 0;
  for (const d of days) {
    const i = DAYS.indexOf(d.toLowerCase() as Day);
    if (i < 0) throw new ScheduleError(`invalid day "${d}"`);
    bits |= 1 << i;
  }
  return bits;
}

export function bitmapToDays(bits: number): Day[] {
  return DAYS.filter((_, i) => bits & (1 << i));
}

/** humanize.Time: "in 3 days" / "2 hours ago", relative to now. */
export function humanizeTime(at: Date, now: Date): string {
  const diff = at.getTime() - now.getTime();
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [365 * 86400_000, 'year'],
    [30 * 86400_000, 'month'],
    [7 * 86400_000, 'week'],
    [86400_000, 'day'],
    [3600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  if (abs < 1000) return 'now';
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const phrase = n === 1 ? `1 ${name}` : `${n} ${name}s`;
      return diff > 0 ? `${phrase} from now` : `${phrase} ago`;
    }
  }
  return 'now';
}
