import type { FastifyInstance } from 'fastify';
import { formatDuration } from '../../lib/duration.js';
import { authorize } from '../auth.js';
import { errors } from '../../contract/common.js';
import { DeploymentConfig } from '../../contract/deployment.js';
import type { DescribedOption } from '../../lib/config.js';


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

export type { DescribedOption };

const title = (flag: string) => flag.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');

/** One option in the reference's format (serpent.Option), keeping Herald's option/type/help fields. */
function presentOption(o: DescribedOption) {
  const value = o.type === 'duration' && typeof o.value === 'number' ? formatDuration(o.value) : maskUrlCredentials(o.value);
  const def = o.secret ? '' : o.type === 'duration' && /^\d+$/.test(o.default) ? formatDuration(Number(o.default)) : o.default;
  return {
    name: title(o.flag),
    description: o.help,
    required: false,
    flag: o.flag,
    env: o.env,
    yaml: o.yaml,
    default: def,
    value,
    annotations: o.secret ? { secret: 'true' } : {},
    group: { name: o.group, yaml: o.group.toLowerCase(), description: '' },
    hidden: false,
    // Herald does not record where each value came from; equal to the default is all it can tell.
    value_source: !o.secret && String(value) === def ? 'default' : '',
    option: o.option,
    type: o.type,
    help: o.help,
  };
}

/** The effective server configuration, for the dashboard's deployment settings (owners only). */
export async function deploymentRoutes(
  app: FastifyInstance,
  deps: { describeConfig: () => DescribedOption[]; deploymentValues: () => Record<string, unknown> },
): Promise<void> {
  app.get(
    '/deployment/config',
    { schema: { tags: ['General'], response: { 200: DeploymentConfig, ...errors(401, 403) } } },
    async (req) => {
      authorize(req, 'deployment_config:read');
      const config = deps.deploymentValues();
      const n = config.notifications as { webhook: { endpoint: string } };
      n.webhook.endpoint = String(maskUrlCredentials(n.webhook.endpoint));
      return { config, options: deps.describeConfig().map(presentOption) };
    },
  );
}
