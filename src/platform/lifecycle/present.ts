import type { TemplateSchedule } from './queries.js';
import { bitmapToDays } from './schedule.js';

/** The template schedule fields of codersdk.Template / UpdateTemplateMeta. */
export interface TemplateScheduleJson {
  default_ttl_ms: number;
  activity_bump_ms: number;
  allow_user_autostart: boolean;
  allow_user_autostop: boolean;
  autostop_requirement: { days_of_week: string[]; weeks: number };
  autostart_requirement: { days_of_week: string[] };
  failure_ttl_ms: number;
  time_til_dormant_ms: number;
  time_til_dormant_autodelete_ms: number;
  require_active_version: boolean;
  time_til_autostop_notify_ms: number;
}

export function presentSchedule(s: TemplateSchedule): TemplateScheduleJson {
  return {
    default_ttl_ms: s.defaultTtlMs,
    activity_bump_ms: s.activityBumpMs,
    allow_user_autostart: s.allowUserAutostart,
    allow_user_autostop: s.allowUserAutostop,
    autostop_requirement: { days_of_week: bitmapToDays(s.autostopRequirementDays), weeks: s.autostopRequirementWeeks },
    autostart_requirement: { days_of_week: bitmapToDays(s.autostartAllowedDays) },
    failure_ttl_ms: s.failureTtlMs,
    time_til_dormant_ms: s.timeTilDormantMs,
    time_til_dormant_autodelete_ms: s.timeTilDormantAutodeleteMs,
    require_active_version: s.requireActiveVersion,
    time_til_autostop_notify_ms: s.timeTilAutostopNotifyMs,
  };
}

