import { notify, type Database } from '../db/database.js';
import { getSiteConfig, NOTIFICATIONS_SETTINGS_KEY, setSiteConfig } from '../db/site-config.js';
import type { Actor } from '../access/actor.js';
import { can } from '../access/roles.js';
import { Forbidden } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { ENQUEUED_CHANNEL, SETTINGS_CHANGED } from './enqueue.js';

export interface NotifierSettings {
  notifier_paused: boolean;
}

/** Deployment-wide notifier settings: pausing stops every dispatcher from leasing messages. */
export interface SettingsService {
  get(): Promise<NotifierSettings>;
  /** 'unchanged' when the stored value is already this one (checked before the permission, as the reference). */
  update(actor: Actor, s: NotifierSettings): Promise<'changed' | 'unchanged'>;
}

export function createSettingsService(deps: { db: Database; log: Logger }): SettingsService {
  const { db, log } = deps;
  const raw = async () => (await getSiteConfig(db, NOTIFICATIONS_SETTINGS_KEY)) ?? '{}';
  return {
    async get() {
      const s = JSON.parse(await raw()) as { notifier_paused?: boolean };
      return { notifier_paused: s.notifier_paused ?? false };
    },
    async update(actor, s) {
      const value = JSON.stringify({ notifier_paused: s.notifier_paused });
      if (value === (await raw())) return 'unchanged';
      if (!can(actor.roles, 'deployment_config:update')) throw new Forbidden();
      await db.tx(async (t) => {
        await setSiteConfig(t, NOTIFICATIONS_SETTINGS_KEY, value);
        // Resuming should deliver what queued up at once, not at the next poll.
        await notify(t, ENQUEUED_CHANNEL, SETTINGS_CHANGED);
      });
      log.info({ notifier_paused: s.notifier_paused, by: actor.user.username }, 'notification settings changed');
      return 'changed';
    },
  };
}
