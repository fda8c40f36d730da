import { Registry, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import {
  DISPATCHER_SEND_SECONDS_BUCKETS,
  QUEUED_SECONDS_BUCKETS,
  createNotificationMetrics,
  createPrebuildMetrics,
} from '../../src/notifications/metrics.js';

function bucketsOf(text: string, metric: string): number[] {
  const re = new RegExp(`^${metric}_bucket\\{([^}]*)\\} `, 'gm');
  const les = new Set<number>();
  for (const m of text.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1])![1];
    if (le !== '+Inf') les.add(Number(le));
  }
  return [...les].sort((a, b) => a - b);
}

function typeOf(text: string, metric: string): string | undefined {
  return new RegExp(`^# TYPE ${metric} (\\w+)$`, 'm').exec(text)?.[1];
}

function helpOf(text: string, metric: string): string | undefined {
  return new RegExp(`^# HELP ${metric} (.+)$`, 'm').exec(text)?.[1];
}

describe('notification metrics', () => {
  it('exposes the reference names, types, labels and buckets', async () => {
    const registry = new Registry();
    const m = createNotificationMetrics(registry);
    const tpl = 'f517da0b-cdc9-410f-ab89-a86107c420ed';

    m.dispatchAttempts.inc({ method: 'smtp', notification_template_id: tpl, result: 'success' });
    m.dispatchAttempts.inc({ method: 'smtp', notification_template_id: tpl, result: 'temp_fail' }, 2);
    m.dispatchAttempts.inc({ method: 'webhook', notification_template_id: tpl, result: 'perm_fail' });
    m.retryCount.inc({ method: 'smtp', notification_template_id: tpl });
    m.queuedSeconds.observe({ method: 'smtp' }, 3);
    m.inflightDispatches.inc({ method: 'webhook', notification_template_id: tpl });
    m.dispatcherSendSeconds.observe({ method: 'webhook' }, 0.02);
    m.pendingUpdates.set(4);
    m.syncedUpdates.inc(8);

    const text = await registry.metrics();

    const p = 'coderd_notifications_';
    expect(typeOf(text, `${p}dispatch_attempts_total`)).toBe('counter');
    expect(typeOf(text, `${p}retry_count`)).toBe('counter');
    expect(typeOf(text, `${p}queued_seconds`)).toBe('histogram');
    expect(typeOf(text, `${p}inflight_dispatches`)).toBe('gauge');
    expect(typeOf(text, `${p}dispatcher_send_seconds`)).toBe('histogram');
    expect(typeOf(text, `${p}pending_updates`)).toBe('gauge');
    expect(typeOf(text, `${p}synced_updates_total`)).toBe('counter');
    for (const name of [
      'dispatch_attempts_total',
      'retry_count',
      'queued_seconds',
      'inflight_dispatches',
      'dispatcher_send_seconds',
      'pending_updates',
      'synced_updates_total',
    ]) {
      expect(helpOf(text, p + name), name).toMatch(/\w{3,}/);
    }

    expect(text).toContain(
      `${p}dispatch_attempts_total{method="smtp",notification_template_id="${tpl}",result="success"} 1`,
    );
    expect(text).toContain(
      `${p}dispatch_attempts_total{method="smtp",notification_template_id="${tpl}",result="temp_fail"} 2`,
    );
    expect(text).toContain(
      `${p}dispatch_attempts_total{method="webhook",notification_template_id="${tpl}",result="perm_fail"} 1`,
    );
    expect(text).toContain(`${p}retry_count{method="smtp",notification_template_id="${tpl}"} 1`);
    expect(text).toContain(`${p}inflight_dispatches{method="webhook",notification_template_id="${tpl}"} 1`);
    expect(text).toMatch(new RegExp(`^${p}pending_updates 4$`, 'm'));
    expect(text).toMatch(new RegExp(`^${p}synced_updates_total 8$`, 'm'));
    expect(text).toMatch(new RegExp(`^${p}queued_seconds_count\\{method="smtp"\\} 1$`, 'm'));
    expect(text).toMatch(new RegExp(`^${p}dispatcher_send_seconds_sum\\{method="webhook"\\} 0.02$`, 'm'));

    expect(bucketsOf(text, `${p}queued_seconds`)).toEqual([1, 2.5, 5, 7.5, 10, 15, 20, 30, 60, 120, 300, 600, 3600]);
    expect(bucketsOf(text, `${p}dispatcher_send_seconds`)).toEqual([
      0.001, 0.05, 0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 120,
    ]);
    expect([...QUEUED_SECONDS_BUCKETS]).toEqual(bucketsOf(text, `${p}queued_seconds`));
    expect([...DISPATCHER_SEND_SECONDS_BUCKETS]).toEqual(bucketsOf(text, `${p}dispatcher_send_seconds`));
    // 3 s lands in le=5 but not le=2.5.
    expect(text).toMatch(new RegExp(`^${p}queued_seconds_bucket\\{le="2.5",method="smtp"\\} 0$`, 'm'));
    expect(text).toMatch(new RegExp(`^${p}queued_seconds_bucket\\{le="5",method="smtp"\\} 1$`, 'm'));
  });

  it('rejects labels outside the reference label set', () => {
    const m = createNotificationMetrics(new Registry());
    expect(() =>
      m.dispatchAttempts.inc({ method: 'smtp', result: 'success', user: 'x' } as unknown as Parameters<
        typeof m.dispatchAttempts.inc
      >[0] & object),
    ).toThrow();
  });

  it('registers on the given registry only, so several can coexist', async () => {
    const before = (await globalRegistry.metrics()).includes('coderd_notifications_');
    const a = new Registry();
    const b = new Registry();
    const ma = createNotificationMetrics(a);
    const mb = createNotificationMetrics(b);
    ma.pendingUpdates.set(1);
    mb.pendingUpdates.set(2);
    expect(await a.metrics()).toMatch(/^coderd_notifications_pending_updates 1$/m);
    expect(await b.metrics()).toMatch(/^coderd_notifications_pending_updates 2$/m);
    expect((await globalRegistry.metrics()).includes('coderd_notifications_')).toBe(before);
    // Twice on the same registry is a programming error prom-client reports.
    expect(() => createNotificationMetrics(a)).toThrow(/already been registered/);
  });
});

describe('prebuild metrics', () => {
  it('exposes the reference names, types and labels', async () => {
    const registry = new Registry();
    const m = createPrebuildMetrics(registry);
    const labels = { template_name: 'docker', preset_name: 'small', organization_name: 'coder' };
    m.created.inc(labels);
    m.failed.inc(labels, 3);
    m.claimed.inc(labels);
    m.resourceReplacements.inc(labels);
    m.desired.set(labels, 2);
    m.running.set(labels, 1);
    m.eligible.set(labels, 1);
    m.presetHardLimited.set(labels, 1);
    m.metricsLastUpdated.set(1_760_000_000);
    m.reconciliationPaused.set(0);

    const text = await registry.metrics();
    const p = 'coderd_prebuilt_workspaces_';
    const l = 'template_name="docker",preset_name="small",organization_name="coder"';
    const expected: Array<[string, string, number]> = [
      ['created_total', 'counter', 1],
      ['failed_total', 'counter', 3],
      ['claimed_total', 'counter', 1],
      ['resource_replacements_total', 'counter', 1],
      ['desired', 'gauge', 2],
      ['running', 'gauge', 1],
      ['eligible', 'gauge', 1],
      ['preset_hard_limited', 'gauge', 1],
    ];
    for (const [name, type, value] of expected) {
      expect(typeOf(text, p + name), name).toBe(type);
      expect(helpOf(text, p + name), name).toMatch(/\w{3,}/);
      expect(text).toContain(`${p}${name}{${l}} ${value}`);
    }
    expect(typeOf(text, `${p}metrics_last_updated`)).toBe('gauge');
    expect(typeOf(text, `${p}reconciliation_paused`)).toBe('gauge');
    expect(text).toMatch(new RegExp(`^${p}metrics_last_updated 1760000000$`, 'm'));
    expect(text).toMatch(new RegExp(`^${p}reconciliation_paused 0$`, 'm'));

    // "1, or absent": removing the series drops it from the exposition.
    m.presetHardLimited.remove(labels);
    expect(await registry.metrics()).not.toContain(`${p}preset_hard_limited{`);
  });

  it('coexists with the notification metrics on one registry', async () => {
    const registry = new Registry();
    createNotificationMetrics(registry);
    createPrebuildMetrics(registry);
    const names = registry.getMetricsAsArray().map((x) => x.name);
    expect(names).toHaveLength(17);
    expect(new Set(names).size).toBe(17);
  });
});
