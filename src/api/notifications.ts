import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Notifications } from '../notifications/services.js';
import type { Directory } from '../platform/directory.js';
import type { Limit } from '../auth/rate-limit.js';
import { notificationAdminRoutes, templatePreviewRoute } from './routes/notifications.js';
import { preferenceRoutes } from './routes/preferences.js';
import { deploymentRoutes, type DescribedOption } from './routes/deployment.js';
import { inboxRoutes, inboxWatchRoute } from './routes/inbox.js';
import { customNotificationRoutes } from './routes/custom.js';
import { noiseRoutes } from './routes/noise.js';
import { webpushRoutes } from './routes/webpush.js';
import { destinationRoutes } from './routes/destinations.js';

export interface NotificationRouteOptions {
  directory: Directory;
  accessUrl: string;
  /** How many custom notifications a user may send (a shared, database-backed limit). */
  customLimit: Limit;
  /** The authenticated scope's session check, for the watch route that authenticates itself. */
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The effective configuration, for GET /deployment/config. */
  describeConfig: () => DescribedOption[];
  /** The reference's DeploymentValues (notification settings, secrets masked), for GET /deployment/config. */
  deploymentValues: () => Record<string, unknown>;
}

/** The notification area's HTTP routes, by scope: `authed` behind the session check, `custom` authenticating itself. */
export function notificationRoutes(n: Notifications, o: NotificationRouteOptions) {
  return {
    authed: async (app: FastifyInstance): Promise<void> => {
      await notificationAdminRoutes(app, { settings: n.settings, admin: n.admin });
      await templatePreviewRoute(app, { admin: n.admin, preparer: n.preparer });
      await preferenceRoutes(app, { preferences: n.preferences, directory: o.directory });
      await deploymentRoutes(app, { describeConfig: o.describeConfig, deploymentValues: o.deploymentValues });
      await inboxRoutes(app, { inbox: n.inbox });
      await customNotificationRoutes(app, { custom: n.custom, limit: o.customLimit });
      await noiseRoutes(app, { grouping: n.grouping, directory: o.directory });
      await webpushRoutes(app, { webpush: n.webpush, directory: o.directory });
      await destinationRoutes(app, { destinations: n.destinations, directory: o.directory });
    },
    // The inbox watch authenticates itself: it also takes the token as a query parameter.
    custom: async (app: FastifyInstance): Promise<void> => {
      await inboxWatchRoute(app, { hub: n.watchHub, authenticate: o.authenticate, accessUrl: o.accessUrl });
    },
  };
}
