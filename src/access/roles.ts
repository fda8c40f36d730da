// Roles and the one permission check every route uses.

export const SITE_ROLES = ['owner', 'user-admin', 'template-admin'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];
export type Role = SiteRole | 'member';

export const ROLE_DISPLAY: Record<Role, string> = {
  owner: 'Owner',
  'user-admin': 'User Admin',
  'template-admin': 'Template Admin',
  member: 'Member',
};

export type Permission =
  | 'user:read'
  | 'user:create'
  | 'user:update'
  | 'user:delete'
  | 'user:assign_roles'
  | 'user:read_preferences_any'
  | 'user:update_preferences_any'
  | 'deployment_config:read'
  | 'deployment_config:update'
  | 'notification_template:update'
  | 'notification_message:read'
  | 'template:create'
  | 'template:update'
  | 'template:delete'
  | 'workspace:read_any'
  | 'workspace:update_any'
  | 'provisioner_key:manage';

const MEMBER: Permission[] = ['user:read'];
const TEMPLATE_ADMIN: Permission[] = [...MEMBER, 'template:create', 'template:update', 'template:delete', 'workspace:read_any'];
const USER_ADMIN: Permission[] = [
  ...MEMBER,
  'user:create',
  'user:update',
  'user:delete',
  'user:assign_roles',
  'user:read_preferences_any',
];

// Each role lists its own grants; `can` adds member's to everyone. The owner may do all of it.
const GRANTS: Record<Role, Permission[]> = {
  member: MEMBER,
  'template-admin': TEMPLATE_ADMIN,
  'user-admin': USER_ADMIN,
  owner: [
    ...new Set<Permission>([
      ...TEMPLATE_ADMIN,
      ...USER_ADMIN,
      // Not user admins: they could silence an owner's "User account suspended" notification.
      'user:update_preferences_any',
      'deployment_config:read',
      'deployment_config:update',
      'notification_template:update',
      'notification_message:read',
      'workspace:update_any',
      'provisioner_key:manage',
    ]),
  ],
};

export function can(roles: readonly string[], perm: Permission): boolean {
  return ['member', ...roles].some((r) => GRANTS[r as Role]?.includes(perm));
}

/** Which roles an actor may grant: owners any, user-admins all but owner. */
export function canAssignRole(actorRoles: readonly string[], role: string): boolean {
  if (actorRoles.includes('owner')) return true;
  if (actorRoles.includes('user-admin')) return role !== 'owner';
  return false;
}

export function isSiteRole(r: string): r is SiteRole {
  return (SITE_ROLES as readonly string[]).includes(r);
}
