import type { Queryable } from '../../db/database.js';
import type { Actor, UserRow } from '../../access/actor.js';
import { can } from '../../access/roles.js';
import { Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import { formatDuration, parseDuration } from '../../lib/duration.js';
import { UUID_RE } from '../../lib/ids.js';
import type { Clock } from '../../lib/service.js';
import type { Logger } from '../../lib/logger.js';
import type { DeliverySchedule, TemplateGrouping, TemplateGroupingBody } from '../../contract/noise.js';
import { deleteUserRules, existingTemplates, getTemplateRules, getUserRules, putUserRules, upsertTemplateRules, type TemplateRulesRow, type UserRulesRow } from './queries.js';
import { formatClock, isTimeZone, parseClock } from './zone.js';

/** Admin-set grouping and throttles per template; user-set digests and quiet hours. */
export interface GroupingService {
  templateGrouping(id: string): Promise<TemplateGrouping>;
  setTemplateGrouping(actor: Actor, id: string, body: TemplateGroupingBody): Promise<TemplateGrouping>;
  schedule(actor: Actor, user: UserRow): Promise<DeliverySchedule>;
  setSchedule(actor: Actor, user: UserRow, body: DeliverySchedule): Promise<DeliverySchedule>;
}

const MAX_WINDOW_MS = 24 * 3_600_000;

function toGrouping(id: string, r: TemplateRulesRow | undefined): TemplateGrouping {
  return {
    template_id: id,
    window: formatDuration((r?.window_seconds ?? 0) * 1000),
    key: r?.group_key ?? [],
    mode: r?.mode ?? 'list',
    throttle: r?.throttle_count && r.throttle_period_seconds ? { count: r.throttle_count, period: formatDuration(r.throttle_period_seconds * 1000) } : null,
    critical: r?.critical ?? false,
  };
}

function toSchedule(r: UserRulesRow | undefined): DeliverySchedule {
  return {
    time_zone: r?.time_zone ?? 'UTC',
    quiet_hours: r && r.quiet_start != null && r.quiet_end != null ? { start: formatClock(r.quiet_start), end: formatClock(r.quiet_end) } : null,
    digest: r?.digest ? { frequency: r.digest, at: formatClock(r.digest_at), templates: r.digest_templates } : null,
  };
}

function duration(field: string, text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms < 0 || ms > MAX_WINDOW_MS || ms % 1000) throw new Error('out of range');
    return ms / 1000;
  } catch {
    throw new Invalid('Invalid grouping settings.', undefined, [{ field, detail: 'must be a duration of whole seconds up to 24h, e.g. "5m"' }]);
  }
}

export function createGroupingService(deps: { db: Queryable; clock: Clock; log: Logger }): GroupingService {
  const { db } = deps;

  async function templateId(id: string): Promise<string> {
    if (!UUID_RE.test(id)) throw new Invalid(`Invalid UUID "${id}".`, undefined, [{ field: 'notification_template', detail: 'must be a UUID' }]);
    if (!(await existingTemplates(db, [id])).has(id)) throw new NotFound();
    return id;
  }

  function assertSelfOrOwner(actor: Actor, user: UserRow, write: boolean): void {
    if (actor.user.id === user.id) return;
    if (!can(actor.roles, write ? 'user:update_preferences_any' : 'user:read_preferences_any')) {
      throw new Forbidden('Only the user themself or an owner may change the delivery schedule.');
    }
  }

  return {
    async templateGrouping(id) {
      const t = await templateId(id);
      return toGrouping(t, await getTemplateRules(db, t));
    },
    async setTemplateGrouping(actor, id, body) {
      // As the method route: who may not change templates is told they do not exist.
      if (!can(actor.roles, 'notification_template:update')) throw new NotFound();
      const t = await templateId(id);
      const current = await getTemplateRules(db, t);
      if (current?.critical) {
        throw new Invalid('Critical templates are never grouped or throttled.', undefined, [{ field: 'notification_template', detail: 'critical template' }]);
      }
      const window = body.window !== undefined ? duration('window', body.window) : current?.window_seconds ?? 0;
      const key = body.key ?? current?.group_key ?? [];
      const bad = key.findIndex((k) => !/^[A-Za-z0-9_]{1,64}$/.test(k));
      if (bad >= 0) throw new Invalid('Invalid grouping settings.', undefined, [{ field: `key[${bad}]`, detail: 'must be a label name' }]);
      let throttleCount = current?.throttle_count ?? null;
      let throttlePeriod = current?.throttle_period_seconds ?? null;
      if (body.throttle === null) {
        throttleCount = null;
        throttlePeriod = null;
      } else if (body.throttle) {
        throttleCount = body.throttle.count;
        throttlePeriod = duration('throttle.period', body.throttle.period);
        if (!throttlePeriod) throw new Invalid('Invalid grouping settings.', undefined, [{ field: 'throttle.period', detail: 'must be longer than 0s' }]);
      }
      const row = await upsertTemplateRules(
        db,
        { template_id: t, window_seconds: window, group_key: key, mode: body.mode ?? current?.mode ?? 'list', throttle_count: throttleCount, throttle_period_seconds: throttlePeriod },
        deps.clock(),
      );
      deps.log.info({ template: t, window, key, throttle: throttleCount, by: actor.user.username }, 'notification template grouping changed');
      return toGrouping(t, row);
    },
    async schedule(actor, user) {
      assertSelfOrOwner(actor, user, false);
      return toSchedule(await getUserRules(db, user.id));
    },
    async setSchedule(actor, user, body) {
      assertSelfOrOwner(actor, user, true);
      const errors: { field: string; detail: string }[] = [];
      if (!isTimeZone(body.time_zone)) errors.push({ field: 'time_zone', detail: 'must be an IANA time zone such as "Europe/Berlin"' });
      const qs = body.quiet_hours ? parseClock(body.quiet_hours.start) : null;
      const qe = body.quiet_hours ? parseClock(body.quiet_hours.end) : null;
      if (body.quiet_hours && qs === undefined) errors.push({ field: 'quiet_hours.start', detail: 'must be HH:MM' });
      if (body.quiet_hours && qe === undefined) errors.push({ field: 'quiet_hours.end', detail: 'must be HH:MM' });
      if (body.quiet_hours && qs !== undefined && qs === qe) errors.push({ field: 'quiet_hours.end', detail: 'must differ from start' });
      const at = body.digest?.at !== undefined ? parseClock(body.digest.at) : 540;
      if (at === undefined) errors.push({ field: 'digest.at', detail: 'must be HH:MM' });
      const templates = body.digest?.templates ?? null;
      if (templates) {
        const malformed = templates.filter((id) => !UUID_RE.test(id));
        const known = malformed.length ? new Set<string>() : await existingTemplates(db, templates);
        templates.forEach((id, i) => {
          if (!known.has(id)) errors.push({ field: `digest.templates[${i}]`, detail: 'unknown notification template' });
        });
      }
      if (errors.length) throw new Invalid('Invalid delivery schedule.', undefined, errors);
      if (!body.quiet_hours && !body.digest && body.time_zone === 'UTC') {
        await deleteUserRules(db, user.id);
        return toSchedule(undefined);
      }
      const row = await putUserRules(
        db,
        {
          user_id: user.id,
          time_zone: body.time_zone,
          quiet_start: qs ?? null,
          quiet_end: qe ?? null,
          digest: body.digest?.frequency ?? null,
          digest_at: at ?? 540,
          digest_templates: templates && templates.length ? templates : null,
        },
        deps.clock(),
      );
      return toSchedule(row);
    },
  };
}
