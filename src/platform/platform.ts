import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Clock, Service } from '../lib/service.js';
import type { Notifier } from './deps.js';
import { createDirectory, type Directory } from './directory.js';
import { createTemplateService, type TemplateService } from './templates/service.js';
import { createWorkspaceService, type WorkspaceService } from './workspaces/service.js';
import { createAgentService, type AgentService } from './agents/service.js';
import { createFileService, type FileService } from './files/service.js';
import { createProvisionerService, type ProvisionerService } from './provisioner/service.js';
import { BuiltinProvisioner } from './provisioner/builtin.js';
import { PrebuildsReconciler } from './prebuilds/reconciler.js';
import { claimPrebuiltWorkspace } from './prebuilds/claim.js';
import { prebuildMetrics } from './prebuilds/metrics.js';
import { LifecycleExecutor } from './lifecycle/executor.js';
import { createLifecycleService, type LifecycleService } from './lifecycle/service.js';
import { ReportGenerator } from './reports/generator.js';

export interface PlatformDeps {
  db: Database;
  log: Logger;
  clock: Clock;
  enqueuer: Notifier;
  registry: Registry;
  /** Read at use: a changed value applies to the next pass / job. */
  prebuilds: Config['prebuilds'];
  provisioner: Config['provisioner'];
  lifecycle: Config['lifecycle'];
}

/** The workspace platform's request-side services, and the background services the server runs. */
export interface Platform {
  directory: Directory;
  templates: TemplateService;
  workspaces: WorkspaceService;
  agents: AgentService;
  files: FileService;
  provisioners: ProvisionerService;
  lifecycle: LifecycleService;
  services: {
    provisioner: BuiltinProvisioner;
    prebuilds: PrebuildsReconciler;
    lifecycle: LifecycleExecutor;
    reports: ReportGenerator;
  } & Record<string, Service>;
}

/** The workspace platform: templates, workspaces and builds, provisioners, agents and apps, prebuilds. */
export function createPlatform(deps: PlatformDeps): Platform {
  const { db, log, clock, enqueuer } = deps;
  // Registered once per server, so /metrics shows them from the start.
  const metrics = prebuildMetrics(deps.registry);
  const events = { log, enqueuer, clock };
  const jobs = { ...events, metrics };
  const claim = claimPrebuiltWorkspace.bind(null, jobs);
  return {
    directory: createDirectory(db),
    templates: createTemplateService({ ...events, db }),
    workspaces: createWorkspaceService({ ...events, db, claim }),
    agents: createAgentService({ ...events, db, clock }),
    files: createFileService({ db }),
    provisioners: createProvisionerService({ ...jobs, db }),
    lifecycle: createLifecycleService({ ...events, db }),
    services: {
      provisioner: new BuiltinProvisioner({ ...jobs, db, config: deps.provisioner }),
      prebuilds: new PrebuildsReconciler({ ...jobs, db, clock, config: deps.prebuilds }),
      lifecycle: new LifecycleExecutor({ ...events, db, config: deps.lifecycle }),
      reports: new ReportGenerator({ ...events, db, config: deps.lifecycle }),
    },
  };
}
