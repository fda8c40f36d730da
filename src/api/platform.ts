import type { FastifyInstance } from 'fastify';
import type { Platform } from '../platform/platform.js';
import { templateRoutes } from './routes/templates.js';
import { workspaceRoutes } from './routes/workspaces.js';
import { agentRoutes } from './routes/agents.js';
import { fileRoutes } from './routes/files.js';
import { provisionerDaemonRoutes, provisionerKeyRoutes } from './routes/provisioner.js';
import { agentLifecycleRoutes, lifecycleRoutes } from './routes/lifecycle.js';

/** The workspace platform's routes, by how they authenticate. */
export function platformRoutes(platform: Omit<Platform, 'services'>, o: { accessUrl?: string } = {}) {
  return {
    /** Behind session or API-token authentication. */
    authed: async (app: FastifyInstance): Promise<void> => {
      await templateRoutes(app, platform);
      await workspaceRoutes(app, { ...platform, accessUrl: o.accessUrl });
      await fileRoutes(app, platform.files);
      await provisionerKeyRoutes(app, platform);
      await lifecycleRoutes(app, platform.lifecycle, platform.directory);
    },
    /** Agent tokens and provisioner keys: these routes check their own credentials. */
    custom: async (app: FastifyInstance): Promise<void> => {
      await agentRoutes(app, platform.agents);
      await provisionerDaemonRoutes(app, platform.provisioners);
      await agentLifecycleRoutes(app, platform.agents);
    },
  };
}
