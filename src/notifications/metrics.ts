// Prometheus collectors with the reference's names, labels and buckets
// (reference-system.md §7), kept so existing dashboards work against Herald.
//
// Every collector is registered on the Registry passed in, never on
// prom-client's global registry, so tests and several in-process servers can
// each have their own.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const NOTIFICATIONS_NAMESPACE = 'coderd_notifications';
export const PREBUILDS_NAMESPACE = 'coderd_prebuilt_workspaces';

/** Buckets of coderd_notifications_queued_seconds. */
export const QUEUED_SECONDS_BUCKETS: readonly number[] = [1, 2.5, 5, 7.5, 10, 15, 20, 30, 60, 120, 300, 600, 3600];
/** Buckets of coderd_notifications_dispatcher_send_seconds. */
export const DISPATCHER_SEND_SECONDS_BUCKETS: readonly number[] = [
  0.001, 0.05, 0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 120,
];

/** Values of the `result` label of dispatch_attempts_total. */
export type DispatchResultLabel = 'success' | 'temp_fail' | 'perm_fail';
export const DISPATCH_RESULT_SUCCESS: DispatchResultLabel = 'success';
export const DISPATCH_RESULT_TEMP_FAIL: DispatchResultLabel = 'temp_fail';
export const DISPATCH_RESULT_PERM_FAIL: DispatchResultLabel = 'perm_fail';

type MethodLabel = 'method';
type TemplateLabel = 'notification_template_id';
type ResultLabel = 'result';

export interface NotificationMetrics {
  /** coderd_notifications_dispatch_attempts_total{method,notification_template_id,result} */
  dispatchAttempts: Counter<MethodLabel | TemplateLabel | ResultLabel>;
  /** coderd_notifications_retry_count{method,notification_template_id} */
  retryCount: Counter<MethodLabel | TemplateLabel>;
  /** coderd_notifications_queued_seconds{method} */
  queuedSeconds: Histogram<MethodLabel>;
  /** coderd_notifications_inflight_dispatches{method,notification_template_id} */
  inflightDispatches: Gauge<MethodLabel | TemplateLabel>;
  /** coderd_notifications_dispatcher_send_seconds{method} */
  dispatcherSendSeconds: Histogram<MethodLabel>;
  /** coderd_notifications_pending_updates */
  pendingUpdates: Gauge<string>;
  /** coderd_notifications_synced_updates_total */
  syncedUpdates: Counter<string>;
}

export function createNotificationMetrics(registry: Registry): NotificationMetrics {
  const registers = [registry];
  const name = (n: string) => `${NOTIFICATIONS_NAMESPACE}_${n}`;
  return {
    dispatchAttempts: new Counter({
      name: name('dispatch_attempts_total'),
      help: 'The number of dispatch attempts, aggregated by the result type (success, temp_fail, perm_fail).',
      labelNames: ['method', 'notification_template_id', 'result'] as const,
      registers,
    }),
    retryCount: new Counter({
      name: name('retry_count'),
      help: 'The count of notification dispatch retry attempts.',
      labelNames: ['method', 'notification_template_id'] as const,
      registers,
    }),
    queuedSeconds: new Histogram({
      name: name('queued_seconds'),
      help:
        'The time elapsed between a notification being enqueued (or last updated) and being leased for dispatch. ' +
        'High values indicate the notifier cannot keep up.',
      labelNames: ['method'] as const,
      buckets: [...QUEUED_SECONDS_BUCKETS],
      registers,
    }),
    inflightDispatches: new Gauge({
      name: name('inflight_dispatches'),
      help: 'The number of dispatch attempts which are currently in progress.',
      labelNames: ['method', 'notification_template_id'] as const,
      registers,
    }),
    dispatcherSendSeconds: new Histogram({
      name: name('dispatcher_send_seconds'),
      help: 'The time taken to dispatch a notification to its delivery method.',
      labelNames: ['method'] as const,
      buckets: [...DISPATCHER_SEND_SECONDS_BUCKETS],
      registers,
    }),
    pendingUpdates: new Gauge({
      name: name('pending_updates'),
      help: 'The number of dispatch results waiting to be written to the store.',
      registers,
    }),
    syncedUpdates: new Counter({
      name: name('synced_updates_total'),
      help: 'The number of dispatch results written to the store.',
      registers,
    }),
  };
}

type PresetLabels = 'template_name' | 'preset_name' | 'organization_name';
export const PRESET_LABEL_NAMES = ['template_name', 'preset_name', 'organization_name'] as const;

export interface PrebuildMetrics {
  /** coderd_prebuilt_workspaces_created_total */
  created: Counter<PresetLabels>;
  /** coderd_prebuilt_workspaces_failed_total */
  failed: Counter<PresetLabels>;
  /** coderd_prebuilt_workspaces_claimed_total */
  claimed: Counter<PresetLabels>;
  /** coderd_prebuilt_workspaces_resource_replacements_total: +1 per claim that had any replacement */
  resourceReplacements: Counter<PresetLabels>;
  /** coderd_prebuilt_workspaces_desired */
  desired: Gauge<PresetLabels>;
  /** coderd_prebuilt_workspaces_running */
  running: Gauge<PresetLabels>;
  /** coderd_prebuilt_workspaces_eligible */
  eligible: Gauge<PresetLabels>;
  /** coderd_prebuilt_workspaces_preset_hard_limited: 1 when limited, otherwise absent (use .remove()) */
  presetHardLimited: Gauge<PresetLabels>;
  /** coderd_prebuilt_workspaces_metrics_last_updated: unix seconds of the last state refresh */
  metricsLastUpdated: Gauge<string>;
  /** coderd_prebuilt_workspaces_reconciliation_paused: 1 when paused, else 0 */
  reconciliationPaused: Gauge<string>;
}

export function createPrebuildMetrics(registry: Registry): PrebuildMetrics {
  const registers = [registry];
  const name = (n: string) => `${PREBUILDS_NAMESPACE}_${n}`;
  const labelNames = PRESET_LABEL_NAMES;
  return {
    created: new Counter({
      name: name('created_total'),
      help: 'Total number of prebuilt workspaces that have been created to meet the desired instance count.',
      labelNames,
      registers,
    }),
    failed: new Counter({
      name: name('failed_total'),
      help: 'Total number of prebuilt workspaces that failed to build.',
      labelNames,
      registers,
    }),
    claimed: new Counter({
      name: name('claimed_total'),
      help: 'Total number of prebuilt workspaces which were claimed by users.',
      labelNames,
      registers,
    }),
    resourceReplacements: new Counter({
      name: name('resource_replacements_total'),
      help:
        'Total number of prebuilt workspaces whose resources were replaced when claimed. ' +
        'Replacements mean the prebuild did not save the time it was meant to.',
      labelNames,
      registers,
    }),
    desired: new Gauge({
      name: name('desired'),
      help: 'Target number of prebuilt workspaces that should be available for each preset.',
      labelNames,
      registers,
    }),
    running: new Gauge({
      name: name('running'),
      help: 'Current number of prebuilt workspaces that are running, whether or not they are ready to be claimed.',
      labelNames,
      registers,
    }),
    eligible: new Gauge({
      name: name('eligible'),
      help: 'Current number of prebuilt workspaces that are eligible to be claimed.',
      labelNames,
      registers,
    }),
    presetHardLimited: new Gauge({
      name: name('preset_hard_limited'),
      help: 'Indicates whether a preset has reached the prebuild failure hard limit (1 = hard limited).',
      labelNames,
      registers,
    }),
    metricsLastUpdated: new Gauge({
      name: name('metrics_last_updated'),
      help: 'The unix timestamp when the prebuild metrics were last refreshed.',
      registers,
    }),
    reconciliationPaused: new Gauge({
      name: name('reconciliation_paused'),
      help: 'Indicates whether prebuild reconciliation is paused (1 = paused, 0 = running).',
      registers,
    }),
  };
}

/** Signal over noise (issue 19): what grouping, digests, quiet hours and throttles held back. */
export interface NoiseMetrics {
  /** coderd_notifications_grouped_total{notification_template_id}: events delivered inside a grouped message. */
  grouped: Counter<TemplateLabel>;
  /** coderd_notifications_held_total{reason}: events delivered inside a digest (reason digest | quiet_hours). */
  held: Counter<'reason'>;
  /** coderd_notifications_throttled_total{notification_template_id}: events a throttle held for the next group. */
  throttled: Counter<TemplateLabel>;
}

export function createNoiseMetrics(registry: Registry): NoiseMetrics {
  const registers = [registry];
  const name = (n: string) => `${NOTIFICATIONS_NAMESPACE}_${n}`;
  return {
    grouped: new Counter({
      name: name('grouped_total'),
      help: 'The number of events delivered inside a grouped message instead of one by one (counted when the group is released).',
      labelNames: ['notification_template_id'] as const,
      registers,
    }),
    held: new Counter({
      name: name('held_total'),
      help: 'The number of events held for a digest or quiet hours and delivered inside a digest message.',
      labelNames: ['reason'] as const,
      registers,
    }),
    throttled: new Counter({
      name: name('throttled_total'),
      help: 'The number of events a per-recipient throttle held for the next group instead of sending them.',
      labelNames: ['notification_template_id'] as const,
      registers,
    }),
  };
}
