import type { Registry } from 'prom-client';
import { createPrebuildMetrics, type PrebuildMetrics } from '../../notifications/metrics.js';

const byRegistry = new WeakMap<Registry, PrebuildMetrics>();

/** The prebuild metrics of a server: registered once per registry, shared by every caller. */
export function prebuildMetrics(registry: Registry): PrebuildMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    m = createPrebuildMetrics(registry);
    byRegistry.set(registry, m);
  }
  return m;
}

export interface PresetMetricLabels {
  template_name: string;
  preset_name: string;
  organization_name: string;
  [k: string]: string;
}
