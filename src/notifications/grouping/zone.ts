// Wall-clock arithmetic in a user's IANA time zone with the runtime's Intl data (no dependency):
// quiet-hour ends and digest times are local times, stored as minutes after local midnight.

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, f);
  }
  return f;
}

/** True for a time zone name the runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    format(zone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localTime(at: Date, zone: string): LocalTime {
  const p: Record<string, number> = {};
  for (const part of format(zone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second };
}

/** The instant at which the zone's clock shows the given wall time (the later one in a DST gap). */
export function fromLocal(t: Omit<LocalTime, 'second'> & { second?: number }, zone: string): Date {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second ?? 0);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const l = localTime(new Date(guess), zone);
    const shown = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
    const diff = wall - shown;
    if (diff === 0) break;
    guess += diff;
  }
  return new Date(guess);
}

/** Minutes after local midnight at `at`. */
export function localMinute(at: Date, zone: string): number {
  const l = localTime(at, zone);
  return l.hour * 60 + l.minute;
}

/** The first instant after `at` at which the zone's clock shows `minute` minutes after midnight. */
export function nextLocalMinute(at: Date, zone: string, minute: number): Date {
  const l = localTime(at, zone);
  for (let days = 0; days < 3; days++) {
    const d = new Date(Date.UTC(l.year, l.month - 1, l.day + days));
    const cand = fromLocal({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(minute / 60), minute: minute % 60 }, zone);
    if (cand.getTime() > at.getTime()) return cand;
  }
  throw new Error('unreachable: no next local time');
}

/** The next local top of the hour after `at`. */
export function nextLocalHour(at: Date, zone: string): Date {
  const l = localTime(at, zone);
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day, l.hour + 1));
  const cand = fromLocal({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: 0 }, zone);
  return cand.getTime() > at.getTime() ? cand : new Date(at.getTime() + 3_600_000);
}

/** Whether `minute` lies in the window [start, end), which may wrap midnight. */
export function inWindow(minute: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** "HH:MM" ⇄ minutes after midnight. */
export function parseClock(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function formatClock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
