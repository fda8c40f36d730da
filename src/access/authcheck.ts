import { can, type Permission } from './roles.js';

// The reference's POST /authcheck: the dashboard asks "may I <action> <resource>?" for many things
// at once. Answered from Herald's roles for the resources Herald has; anything else is false
// (except for owners, who may do everything, as in the reference).

export interface AuthObject {
  resource_type: string;
  owner_id?: string;
  organization_id?: string;
  resource_id?: string;
  any_org?: boolean;
}

export interface Caller {
  userId: string;
  roles: readonly string[];
}

const own = (c: Caller, o: AuthObject) => !o.owner_id || o.owner_id === 'me' || o.owner_id === c.userId;
const READS = new Set(['read', 'view_insights']);

/** The permission one check needs, or true/false when Herald's rules answer it directly. */
function rule(c: Caller, o: AuthObject, action: string): Permission | boolean {
  switch (o.resource_type) {
    case 'user':
      if (action === 'read') return 'user:read';
      if ((action === 'update_personal' || action === 'read_personal') && own(c, o) && o.owner_id) return true;
      return action === 'create' ? 'user:create' : action === 'delete' ? 'user:delete' : 'user:update';
    case 'assign_role':
    case 'assign_org_role':
      return action === 'read' ? 'user:read' : 'user:assign_roles';
    case 'organization_member':
      return action === 'read' ? 'user:read' : 'user:update';
    case 'organization':
      return action === 'read';
    case 'template':
      if (READS.has(action)) return action === 'read' ? true : 'template:update';
      return action === 'create' ? 'template:create' : action === 'delete' ? 'template:delete' : 'template:update';
    case 'file':
      return 'template:create';
    case 'workspace':
    case 'workspace_dormant':
      if (o.owner_id && own(c, o)) return true;
      return action === 'read' ? 'workspace:read_any' : 'workspace:update_any';
    case 'deployment_config':
      return action === 'read' ? 'deployment_config:read' : 'deployment_config:update';
    case 'notification_template':
      return action === 'read' ? true : 'notification_template:update';
    case 'notification_message':
      return 'notification_message:read';
    case 'notification_preference':
      if (own(c, o) && o.owner_id) return true;
      return action === 'read' ? 'user:read_preferences_any' : 'user:update_preferences_any';
    case 'inbox_notification':
    case 'api_key':
      return !!o.owner_id && own(c, o);
    case 'provisioner_daemon':
    case 'provisioner_jobs':
      return action === 'read' ? 'template:create' : 'provisioner_key:manage';
    default:
      return false;
  }
}

/** Whether the caller may do `action` on the object. */
export function authorized(c: Caller, o: AuthObject, action: string): boolean {
  if (c.roles.includes('owner')) return true;
  const r = rule(c, o, action);
  return typeof r === 'boolean' ? r : can(c.roles, r);
}

/** Every check of an authorization request, answered by its key. */
export function checkAll(c: Caller, checks: Record<string, { object: AuthObject; action: string }>): Record<string, boolean> {
  return Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, authorized(c, v.object, v.action)]));
}
