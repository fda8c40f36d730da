import type { AppContext } from '../server/context.js';
import type { Module } from '../server/server.js';
import { templateRoutes } from '../api/routes/templates.js';
import { workspaceRoutes } from '../api/routes/workspaces.js';
import { agentRoutes } from '../api/routes/agents.js';
import { provisionerDaemonRoutes, provisionerKeyRoutes } from '../api/routes/provisioner.js';
import { BuiltinProvisioner } from './provisioner/builtin.js';
import { PrebuildsReconciler } from './prebuilds/reconciler.js';
import { prebuildMetrics } from './prebuilds/metrics.js';

/** The workspace platform: templates, workspaces and builds, provisioners, agents and apps. */
export function platformModule(ctx: AppContext): Module {
  const provisioner = new BuiltinProvisioner(ctx);
  prebuildMetrics(ctx.registry); // registered once per server, so /metrics shows them from the start
  const prebuilds = new PrebuildsReconciler(ctx);
  return {
    routes: {
      authed: async (app, c) => {
        await templateRoutes(app, c);
        await workspaceRoutes(app, c);
        await provisionerKeyRoutes(app, c);
      },
      custom: async (app, c) => {
        await agentRoutes(app, c);
        await provisionerDaemonRoutes(app, c);
      },
    },
    services: { provisioner, prebuilds },
  };
}
