// Schedules in words, one way for the dashboard and the CLI: a template's schedule options and a
// workspace's autostart, TTL, deadlines and dormancy, as [label, value] rows.

import type { Template } from './templates.js';
import type { Workspace } from './workspaces.js';

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 0 → "off"; 90 minutes → "1h 30m"; 3 days → "3d". */
export function durationText(ms: number | null | undefined, zero = 'off'): string {
  if (!ms || ms <= 0) return zero;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length ? parts.join(' ') : `${ms}ms`;
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const short = (d: string) => d.slice(0, 1).toUpperCase() + d.slice(1, 3);

/** ["monday", "tuesday"] → "Mon, Tue"; all seven → "every day". */
export function daysText(days: readonly string[], none = 'no day'): string {
  if (!days.length) return none;
  if (days.length === 7) return 'every day';
  return [...days].sort((a, b) => DAY_NAMES.indexOf(a) - DAY_NAMES.indexOf(b)).map(short).join(', ');
}

/**
 * The reference's autostart schedule ("CRON_TZ=Europe/Paris 30 9 * * 1-5") in words when it has the
 * usual shape ("09:30 Mon–Fri (Europe/Paris)"); anything else is shown as written.
 */
export function cronText(schedule: string | null | undefined): string {
  if (!schedule) return 'off';
  const m = /^(?:CRON_TZ=(\S+)\s+)?(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+(\S+)$/.exec(schedule.trim());
  if (!m) return schedule;
  const [, tz, min, hour, dow] = m;
  const time = `${hour!.padStart(2, '0')}:${min!.padStart(2, '0')}`;
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  let days: string;
  if (dow === '*') days = 'every day';
  else if (/^\d-\d$/.test(dow!)) days = `${names[Number(dow![0])]}–${names[Number(dow![2])]}`;
  else if (/^\d(,\d)*$/.test(dow!)) days = dow!.split(',').map((d) => names[Number(d)]).join(', ');
  else return schedule;
  return `${time} ${days}${tz ? ` (${tz})` : ''}`;
}

/** An ISO time as "2026-12-01 13:45 UTC", or the fallback. */
export function timeText(iso: string | null | undefined, none = '—'): string {
  if (!iso) return none;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export type ScheduleRow = [label: string, value: string];

/** A template's schedule options (codersdk.Template's schedule fields). */
export function templateScheduleRows(t: Template): ScheduleRow[] {
  const notify = (t as Template & { time_til_autostop_notify_ms?: number }).time_til_autostop_notify_ms;
  const rows: ScheduleRow[] = [
    ['Default time until autostop', durationText(t.default_ttl_ms)],
    ['Activity bump', durationText(t.activity_bump_ms)],
    ['Users may set autostart', t.allow_user_autostart ? 'yes' : 'no'],
    ['Users may set autostop', t.allow_user_autostop ? 'yes' : 'no'],
    [
      'Autostop requirement',
      t.autostop_requirement.days_of_week.length
        ? `${daysText(t.autostop_requirement.days_of_week)}${t.autostop_requirement.weeks > 1 ? `, every ${t.autostop_requirement.weeks} weeks` : ''}`
        : 'none',
    ],
    ['Autostart allowed on', daysText(t.autostart_requirement.days_of_week)],
    ['Stop failed workspaces after', durationText(t.failure_ttl_ms)],
    ['Dormancy threshold', durationText(t.time_til_dormant_ms)],
    ['Delete dormant workspaces after', durationText(t.time_til_dormant_autodelete_ms)],
    ['Automatic updates', t.require_active_version ? 'required: workspaces start on the active version' : 'workspace owner chooses'],
  ];
  if (notify !== undefined) rows.push(['Autostop reminder', notify > 0 ? `${durationText(notify)} before` : 'off']);
  return rows;
}

/** A workspace's schedule: autostart, TTL, current deadline and max deadline, dormancy and deletion. */
export function workspaceScheduleRows(w: Workspace): ScheduleRow[] {
  const b = w.latest_build;
  const running = b?.transition === 'start' && b.status === 'running';
  return [
    ['Autostart', cronText(w.autostart_schedule)],
    ...(w.next_start_at ? [['Next autostart', timeText(w.next_start_at)] as ScheduleRow] : []),
    ['Time until autostop', durationText(w.ttl_ms)],
    ['Deadline', running ? timeText(b?.deadline, 'none') : 'not running'],
    ['Max deadline', running ? timeText(b?.max_deadline, 'none') : 'not running'],
    ['Automatic updates', w.automatic_updates || 'never'],
    ['Dormant since', timeText(w.dormant_at, 'not dormant')],
    ['Deleting at', timeText(w.deleting_at, 'not scheduled')],
  ];
}
