import type { FastifyInstance } from 'fastify';
import { formatDuration } from '../../lib/duration.js';
import { authorize } from '../auth.js';
import { errors } from '../../contract/common.js';
import { DeploymentConfig } from '../../contract/deployment.js';


/** Hides the user:password part of URL-shaped values (a webhook endpoint may carry credentials). */
function maskUrlCredentials(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const u = new URL(value);
    if (!u.username && !u.password) return value;
    u.username = '********';
    u.password = '';
    return u.toString();
  } catch {
    return '********';
  }
}

/** One option of the effective configuration, secrets already masked, durations in milliseconds. */
export interface DescribedOption {
  option: string;
  env: string;
  type: string;
  value: unknown;
  group: string;
  help: string;
}

/** The effective server configuration, for the dashboard's deployment settings (owners only). */
export async function deploymentRoutes(app: FastifyInstance, deps: { describeConfig: () => DescribedOption[] }): Promise<void> {
  app.get(
    '/deployment/config',
    { schema: { tags: ['General'], response: { 200: DeploymentConfig, ...errors(401, 403) } } },
    async (req) => {
      authorize(req, 'deployment_config:read');
      return {
        options: deps.describeConfig().map((o) => ({
          ...o,
          value: o.type === 'duration' && typeof o.value === 'number' ? formatDuration(o.value) : maskUrlCredentials(o.value),
        })),
      };
    },
  );
}
