import { Invalid } from '../../lib/errors.js';
import { parseWeekly, ScheduleError } from './schedule.js';

/** The reference's limits on a workspace TTL. */
export const TTL_MIN_MS = 60_000;
export const TTL_MAX_MS = 30 * 24 * 3600_000;

export function validateAutostart(schedule: string, field = 'autostart_schedule'): void {
  try {
    parseWeekly(schedule);
  } catch (err) {
    if (err instanceof ScheduleError) {
      throw new Invalid('Invalid autostart schedule.', err.message, [{ field, detail: err.message }]);
    }
    throw err;
  }
}

export function validateTtl(ms: number, field = 'ttl_ms'): void {
  if (ms < TTL_MIN_MS) throw new Invalid('Invalid workspace TTL.', 'ttl must be at least one minute', [{ field, detail: 'time until shutdown must be at least one minute' }]);
  if (ms > TTL_MAX_MS) throw new Invalid('Invalid workspace TTL.', 'ttl must be less than 30 days', [{ field, detail: 'time until shutdown must be less than 30 days' }]);
}

export function validateAutomaticUpdates(v: string, field = 'automatic_updates'): void {
  if (v !== 'always' && v !== 'never') {
    throw new Invalid('Invalid automatic updates setting.', `"${v}" is not one of always, never`, [{ field, detail: 'must be "always" or "never"' }]);
  }
}
