// Schedules in words (shared by the dashboard and the CLI).
import { describe, expect, it } from 'vitest';
import { cronText, daysText, durationText, timeText } from '../../src/contract/schedule-text.js';

describe('schedule text', () => {
  it('durations', () => {
    expect(durationText(0)).toBe('off');
    expect(durationText(null)).toBe('off');
    expect(durationText(90 * 60_000)).toBe('1h 30m');
    expect(durationText(3 * 86_400_000)).toBe('3d');
    expect(durationText(86_400_000 + 1000)).toBe('1d 1s');
    expect(durationText(250)).toBe('250ms');
  });
  it('days, in week order', () => {
    expect(daysText([])).toBe('no day');
    expect(daysText(['friday', 'monday'])).toBe('Mon, Fri');
    expect(daysText(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'])).toBe('every day');
  });
  it('autostart schedules of the usual shape in words, anything else as written', () => {
    expect(cronText(null)).toBe('off');
    expect(cronText('CRON_TZ=Europe/Paris 30 9 * * 1-5')).toBe('09:30 Mon–Fri (Europe/Paris)');
    expect(cronText('0 7 * * *')).toBe('07:00 every day');
    expect(cronText('CRON_TZ=UTC 5 18 * * 1,3,5')).toBe('18:05 Mon, Wed, Fri (UTC)');
    expect(cronText('CRON_TZ=UTC 0 9 1 * *')).toBe('CRON_TZ=UTC 0 9 1 * *');
    expect(cronText('*/5 * * * *')).toBe('*/5 * * * *');
  });
  it('times', () => {
    expect(timeText(null, 'none')).toBe('none');
    expect(timeText('2026-12-01T13:45:59.123Z')).toBe('2026-12-01 13:45 UTC');
  });
});
