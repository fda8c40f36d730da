import { expect } from 'vitest';
import type { ApiHelper, TestServer } from '../support/server.js';
import type { PrebuildsReconciler, ReconcileResult } from '../../src/platform/prebuilds/reconciler.js';

export const PREBUILDS_CONFIG = { prebuilds: { reconciliationInterval: 3_600_000, backoffInterval: 0, failureHardLimit: 3 } };

export const reconcilerOf = (s: TestServer) => s.services.prebuilds as PrebuildsReconciler;

/** Waits until no built-in provisioner job is queued or running. */
export async function settle(s: TestServer, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM provisioner_jobs WHERE provisioner = 'builtin' AND status IN ('pending', 'running')`,
    );
    if (r.rows[0].n === 0) return;
    if (Date.now() > end) throw new Error(`${r.rows[0].n} builtin jobs still busy`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** One reconciliation pass, then waits for the builds it queued. */
export async function pass(s: TestServer): Promise<ReconcileResult> {
  const r = await reconcilerOf(s).runOnce();
  await settle(s);
  return r;
}

export interface Prebuild {
  id: string;
  name: string;
  status: string;
  versionId: string;
  presetId: string | null;
  buildNumber: number;
}

/** The prebuilds user's live workspaces of a template, as the API shows them (oldest first). */
export async function prebuildsOf(owner: ApiHelper, template: string): Promise<Prebuild[]> {
  const r = await owner.get(`/workspaces?q=${encodeURIComponent(`owner:prebuilds template:${template}`)}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.workspaces
    .map((w: any) => ({
      id: w.id,
      name: w.name,
      created_at: w.created_at,
      status: w.latest_build.status,
      versionId: w.latest_build.template_version_id,
      presetId: w.latest_build.template_version_preset_id,
      buildNumber: w.latest_build.build_number,
    }))
    .sort((a: any, b: any) => a.created_at.localeCompare(b.created_at))
    .map(({ created_at: _c, ...rest }: any) => rest);
}

export async function presetsOf(api: ApiHelper, versionId: string): Promise<any[]> {
  const r = await api.get(`/templateversions/${versionId}/presets`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A sample value of a Prometheus series, or undefined when absent. */
export async function metric(s: TestServer, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export async function promote(api: ApiHelper, templateId: string, versionId: string): Promise<void> {
  const r = await api.patch(`/templates/${templateId}/versions`, { id: versionId });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export const FAILING = { definition: { resources: [], error: 'terraform apply: quota exceeded', fail_on: ['start'] } };
