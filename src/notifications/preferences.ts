import type { Queryable } from '../db/database.js';
import type { Preference } from '../contract/notifications.js';
import type { Actor } from '../access/actor.js';
import { can } from '../access/roles.js';
import { Forbidden, Invalid } from '../lib/errors.js';
import { UUID_RE } from '../lib/ids.js';
import type { UserRow } from '../access/actor.js';
import {
  getChannelPreferences,
  getPreferences,
  setChannelPreferences,
  templateFlags,
  updatePreferences,
  type ChannelPreferenceRow,
  type PreferenceRow,
} from './queries.js';
import { CRITICAL_TEMPLATES, INBOX_EXCLUDED_TEMPLATES, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from './templates/catalogue.js';
import { destinationsOf, routesOf, setRoutes, type DestinationRow } from './destinations/queries.js';
import type { Database } from '../db/database.js';

export type { PreferenceRow };

export const toPreferenceJson = (p: PreferenceRow): Preference => ({
  id: p.notification_template_id,
  disabled: p.disabled,
  updated_at: new Date(p.updated_at).toISOString(),
});
export type PreferenceJson = ReturnType<typeof toPreferenceJson>;

/** A user's choice of which notifications they get (by template). */
export interface PreferenceService {
  /** Throws unless the actor may read `user`'s preferences: themself, owners and user admins. */
  assertCanRead(actor: Actor, user: UserRow): void;
  /**
   * Throws unless the actor may change `user`'s preferences: themself and owners only. A user
   * admin may read them but not change them (else it could silence "User account suspended" for
   * an owner before suspending someone).
   */
  assertCanChange(actor: Actor, user: UserRow): void;
  list(actor: Actor, user: UserRow): Promise<PreferenceJson[]>;
  /** Sets `disabled` per template id; unknown or malformed ids are refused, nothing is written. */
  update(actor: Actor, user: UserRow, map: Record<string, boolean>): Promise<PreferenceJson[]>;
  /** Per template, which channels reach the user. */
  channels(actor: Actor, user: UserRow): Promise<ChannelPreferences>;
  /**
   * Turns channels on or off per template (channels not named keep their state). Every channel
   * off is stored as the reference's `disabled`; locked templates cannot lose a channel.
   */
  updateChannels(actor: Actor, user: UserRow, map: Record<string, Record<string, boolean>>): Promise<ChannelPreferences>;
}

/** Templates a user cannot turn off: they carry the account's own security events (critical in 0130). */
export const LOCKED_TEMPLATES: readonly string[] = CRITICAL_TEMPLATES;

const CHANNEL_LABELS: Record<string, string> = {
  inbox: 'Inbox',
  smtp: 'E-mail',
  webhook: 'Webhook',
  slack: 'Slack',
  teams: 'Teams',
  discord: 'Discord',
  webpush: 'Browser push',
  destination: 'My destinations',
};
const KIND_LABELS: Record<string, string> = { slack: 'Slack', teams: 'Teams', discord: 'Discord', webhook: 'Webhook', ntfy: 'ntfy' };
/** A user destination's channel id in the grid. */
const DEST = 'destination:';
const destLabel = (d: Pick<DestinationRow, 'kind' | 'name'>) => (d.name ? `${d.name} (${KIND_LABELS[d.kind] ?? d.kind})` : `My ${KIND_LABELS[d.kind] ?? d.kind}`);

export interface ChannelPreferences {
  /** The channels this deployment delivers through, in display order. */
  /** `kind`: for a user's own destination ("destination:<id>"), its kind (slack, ntfy, …). */
  channels: { method: string; label: string; kind?: string }[];
  templates: {
    id: string;
    name: string;
    group: string;
    /** Critical: every channel stays on. */
    locked: boolean;
    /** The channels this template is delivered through (a cell is only meaningful for these). */
    available: string[];
    /** On/off per available channel, as the user receives it now. */
    channels: Record<string, boolean>;
    updated_at: string | null;
  }[];
}

/** How the deployment picks methods (mirrors the enqueuer): the template's own or the default, plus inbox. */
export interface ChannelConfig {
  defaultMethod: string;
  /** Whether the default method can deliver at all (a smarthost or a webhook endpoint is set). */
  defaultEnabled: boolean;
  inboxEnabled: boolean;
}

/** The user's active destinations and their stored per-template choices ("<template>:<destination>" → on). */
interface Routing {
  destinations: Pick<DestinationRow, 'id' | 'kind' | 'name'>[];
  routes: Map<string, boolean>;
}
const NO_ROUTING: Routing = { destinations: [], routes: new Map() };

function availableFor(t: ChannelPreferenceRow, cfg: ChannelConfig, routing: Routing = NO_ROUTING): string[] {
  const out = t.method ? [t.method] : cfg.defaultEnabled ? [cfg.defaultMethod] : [];
  if (cfg.inboxEnabled && !out.includes('inbox') && !INBOX_EXCLUDED_TEMPLATES.includes(t.id)) out.push('inbox');
  // The `destination` method stands for the user's own destinations: one cell each, for every
  // template (a one-time passcode excepted, as for the inbox, unless the admin routed it there).
  const own = out.filter((m) => m !== 'destination');
  if (t.method === 'destination' || t.id !== TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE) own.push(...routing.destinations.map((d) => DEST + d.id));
  return own;
}

function effective(t: ChannelPreferenceRow, method: string, routing: Routing = NO_ROUTING): boolean {
  if (t.disabled === null && !t.enabled_by_default) return false;
  if (t.disabled) return false;
  if (method.startsWith(DEST)) {
    // As the enqueuer and the destination method decide: the choice, else on when the admin chose `destination`.
    if ((t.disabled_methods ?? []).includes('destination')) return false;
    return routing.routes.get(`${t.id}:${method.slice(DEST.length)}`) ?? t.method === 'destination';
  }
  if (t.disabled === null) return true;
  return !(t.disabled_methods ?? []).includes(method);
}

async function routingOf(q: Queryable, userId: string): Promise<Routing> {
  const destinations = await destinationsOf(q, userId, 'active');
  const routes = destinations.length ? await routesOf(q, userId) : [];
  return { destinations, routes: new Map(routes.map((r) => [`${r.notification_template_id}:${r.destination_id}`, r.enabled])) };
}

export function createPreferenceService(deps: { db: Database; channels?: ChannelConfig }): PreferenceService {
  const { db } = deps;
  const cfg: ChannelConfig = deps.channels ?? { defaultMethod: 'smtp', defaultEnabled: false, inboxEnabled: true };
  const present = (rows: ChannelPreferenceRow[], routing: Routing): ChannelPreferences => {
    const templates = rows.map((t) => {
      const available = availableFor(t, cfg, routing);
      return {
        id: t.id,
        name: t.name,
        group: t.group ?? '',
        locked: t.critical || LOCKED_TEMPLATES.includes(t.id),
        available,
        channels: Object.fromEntries(available.map((m) => [m, effective(t, m, routing)])),
        updated_at: t.updated_at ? new Date(t.updated_at).toISOString() : null,
      };
    });
    const used = new Set(templates.flatMap((t) => t.available));
    const order = ['inbox', 'smtp', 'webhook'];
    const methods = [...used]
      .filter((m) => !m.startsWith(DEST))
      .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
    const own = routing.destinations.filter((d) => used.has(DEST + d.id)).map((d) => ({ method: DEST + d.id, label: destLabel(d), kind: d.kind }));
    return { channels: [...methods.map((m) => ({ method: m, label: CHANNEL_LABELS[m] ?? m.charAt(0).toUpperCase() + m.slice(1) })), ...own], templates };
  };
  const self = (actor: Actor, user: UserRow) => user.id === actor.user.id;
  const svc: PreferenceService = {
    assertCanRead(actor, user) {
      // Another member's answers 400, as the reference does.
      if (!self(actor, user) && !can(actor.roles, 'user:read_preferences_any')) {
        throw new Invalid('You cannot access the notification preferences of another user.');
      }
    },
    assertCanChange(actor, user) {
      svc.assertCanRead(actor, user);
      if (!self(actor, user) && !can(actor.roles, 'user:update_preferences_any')) {
        throw new Forbidden('Only the user themself or an owner may change notification preferences.');
      }
    },
    async list(actor, user) {
      svc.assertCanRead(actor, user);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
    async update(actor, user, map) {
      svc.assertCanChange(actor, user);
      const ids = Object.keys(map);
      const bad = ids.filter((k) => !UUID_RE.test(k));
      if (bad.length) {
        throw new Invalid('Unable to parse notification template UUID.', undefined, bad.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'not a UUID' })));
      }
      const known = ids.length ? await templateFlags(db, ids) : new Map<string, { name: string; critical: boolean }>();
      const unknown = ids.filter((k) => !known.has(k.toLowerCase()));
      if (unknown.length) {
        throw new Invalid('Unknown notification template.', undefined, unknown.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'no such notification template' })));
      }
      const critical = ids.filter((k) => map[k] === true && known.get(k.toLowerCase())?.critical);
      if (critical.length) {
        const names = critical.map((k) => `"${known.get(k.toLowerCase())!.name}"`).join(', ');
        throw new Invalid(
          `${names} ${critical.length > 1 ? 'are critical notifications' : 'is a critical notification'} and cannot be disabled.`,
          undefined,
          critical.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'a critical notification cannot be disabled' })),
        );
      }
      await updatePreferences(db, user.id, map);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
    async channels(actor, user) {
      svc.assertCanRead(actor, user);
      const [rows, routing] = await Promise.all([getChannelPreferences(db, user.id), routingOf(db, user.id)]);
      return present(rows, routing);
    },
    async updateChannels(actor, user, map) {
      svc.assertCanChange(actor, user);
      return db.tx(async (q) => {
        const rows = new Map((await getChannelPreferences(q, user.id)).map((t) => [t.id, t]));
        const routing = await routingOf(q, user.id);
        const validations: { field: string; detail: string }[] = [];
        const writes: { templateId: string; disabled: boolean; disabledMethods: string[] }[] = [];
        const routeWrites: { destinationId: string; templateId: string; enabled: boolean }[] = [];
        for (const [rawId, choice] of Object.entries(map)) {
          const id = rawId.toLowerCase();
          const field = `template_channels.${rawId}`;
          const t = UUID_RE.test(rawId) ? rows.get(id) : undefined;
          if (!t) {
            validations.push({ field, detail: UUID_RE.test(rawId) ? 'no such notification template' : 'not a UUID' });
            continue;
          }
          const available = availableFor(t, cfg, routing);
          const on = new Map(available.map((m) => [m, effective(t, m, routing)]));
          const locked = t.critical || LOCKED_TEMPLATES.includes(id);
          for (const [method, enabled] of Object.entries(choice)) {
            if (!available.includes(method)) {
              validations.push({ field: `${field}.${method}`, detail: `not a channel of this notification; it uses ${available.join(', ') || 'none'}` });
            } else if (!enabled && locked && !(method.startsWith(DEST) && t.method !== 'destination')) {
              // A user's own destination is an extra copy of a critical notification: it may be turned off again.
              validations.push({ field: `${field}.${method}`, detail: 'this notification cannot be turned off' });
            } else {
              on.set(method, enabled);
              if (method.startsWith(DEST)) routeWrites.push({ destinationId: method.slice(DEST.length), templateId: id, enabled });
            }
          }
          const off = [...on].filter(([, v]) => !v).map(([m]) => m);
          // Every channel off is the reference's "disabled"; the list then stays empty so that
          // enabling through template_disabled_map brings every channel back. Destinations are
          // chosen per destination (routes), not through the list.
          const allOff = available.length > 0 && off.length === available.length;
          writes.push({ templateId: id, disabled: allOff, disabledMethods: allOff ? [] : off.filter((m) => !m.startsWith(DEST)) });
        }
        if (validations.length) throw new Invalid('Invalid notification channel preferences.', undefined, validations);
        await setChannelPreferences(q, user.id, writes);
        await setRoutes(q, user.id, routeWrites);
        const after = await getChannelPreferences(q, user.id);
        return present(after, await routingOf(q, user.id));
      });
    },
  };
  return svc;
}
