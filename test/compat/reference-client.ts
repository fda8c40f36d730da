// A typed client written against the reference's published API shapes (its SDK and generated
// TypeScript types: field names and JSON types only, written here from their documentation), and
// a transport that behaves like the reference's web client under Node (axios' http adapter): a
// body-less POST/PUT/PATCH goes out labelled application/x-www-form-urlencoded with
// Content-Length: 0. Used by reference-client.test.ts to drive Herald as the reference's VS Code
// extension and Backstage plugin do.

import http from 'node:http';

// ---- The reference's types (the fields each declares; every one must be present in an answer) ----

export interface MinimalUser {
  id: string;
  username: string;
  name: string;
  avatar_url: string;
}

export interface User {
  id: string;
  username: string;
  email: string;
  name: string;
  avatar_url: string;
  created_at: string;
  updated_at: string;
  last_seen_at: string;
  status: 'active' | 'suspended' | 'dormant';
  login_type: string;
  theme_preference: string;
  organization_ids: string[];
  roles: { name: string; display_name: string }[];
}

export interface CreateUserRequestWithOrgs {
  email: string;
  username: string;
  name: string;
  password: string;
  login_type: string;
  user_status: 'active' | 'dormant' | null;
  organization_ids: string[];
}

export interface AuthMethods {
  terms_of_service_url: string;
  password: { enabled: boolean };
  github: { enabled: boolean; default_provider_configured: boolean };
  oidc: { enabled: boolean; signInText: string; iconUrl: string };
}

export interface AuthorizationObject {
  resource_type: string;
  owner_id?: string;
  organization_id?: string;
  resource_id?: string;
  any_org?: boolean;
}
export interface AuthorizationRequest {
  checks: Record<string, { object: AuthorizationObject; action: string }>;
}
export type AuthorizationResponse = Record<string, boolean>;

export interface ValidateUserPasswordResponse {
  valid: boolean;
  details: string;
}

export interface ProvisionerJob {
  id: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  canceled_at: string | null;
  error: string;
  error_code: string;
  status: string;
  worker_id: string | null;
  file_id: string;
  tags: Record<string, string>;
  queue_position: number;
  queue_size: number;
  organization_id: string;
  initiator_id: string;
  input: unknown;
  type: string;
  available_workers: string[];
  logs_overflowed: boolean;
  metadata: Record<string, unknown>;
}

export interface WorkspaceAppStatus {
  id: string;
  created_at: string;
  workspace_id: string;
  agent_id: string;
  app_id: string;
  state: 'working' | 'idle' | 'complete' | 'failure';
  message: string;
  uri: string;
  icon: string;
  needs_user_attention: boolean;
}

export interface WorkspaceApp {
  id: string;
  url: string;
  external: boolean;
  slug: string;
  display_name: string;
  command: string;
  icon: string;
  subdomain: boolean;
  subdomain_name: string;
  sharing_level: string;
  healthcheck: { url: string; interval: number; threshold: number };
  health: string;
  group: string;
  hidden: boolean;
  open_in: string;
  tooltip: string;
  statuses: WorkspaceAppStatus[];
}

export interface WorkspaceAgent {
  id: string;
  parent_id: string | null;
  created_at: string;
  updated_at: string;
  first_connected_at: string | null;
  last_connected_at: string | null;
  disconnected_at: string | null;
  started_at: string | null;
  ready_at: string | null;
  status: string;
  lifecycle_state: string;
  name: string;
  resource_id: string;
  instance_id: string;
  architecture: string;
  environment_variables: Record<string, string>;
  operating_system: string;
  logs_length: number;
  logs_overflowed: boolean;
  directory: string;
  expanded_directory: string;
  version: string;
  api_version: string;
  apps: WorkspaceApp[];
  latency: Record<string, { preferred: boolean; latency_ms: number }>;
  connection_timeout_seconds: number;
  troubleshooting_url: string;
  subsystems: string[];
  health: { healthy: boolean; reason?: string };
  display_apps: string[];
  log_sources: unknown[];
  scripts: unknown[];
  startup_script_behavior: string;
}

export interface WorkspaceResource {
  id: string;
  created_at: string;
  job_id: string;
  workspace_transition: string;
  type: string;
  name: string;
  hide: boolean;
  icon: string;
  agents: WorkspaceAgent[];
  metadata: { key: string; value: string; sensitive: boolean }[];
  daily_cost: number;
}

export interface WorkspaceBuild {
  id: string;
  created_at: string;
  updated_at: string;
  workspace_id: string;
  workspace_name: string;
  workspace_owner_id: string;
  workspace_owner_name: string;
  workspace_owner_avatar_url: string;
  template_version_id: string;
  template_version_name: string;
  build_number: number;
  transition: 'start' | 'stop' | 'delete';
  initiator_id: string;
  initiator_name: string;
  job: ProvisionerJob;
  reason: string;
  resources: WorkspaceResource[];
  deadline: string | null;
  max_deadline: string | null;
  status: string;
  daily_cost: number;
  template_version_preset_id: string | null;
  has_ai_task: boolean | null;
  ai_task_sidebar_app_id: string | null;
}

export interface Workspace {
  id: string;
  created_at: string;
  updated_at: string;
  owner_id: string;
  owner_name: string;
  owner_avatar_url: string;
  organization_id: string;
  organization_name: string;
  template_id: string;
  template_name: string;
  template_display_name: string;
  template_icon: string;
  template_allow_user_cancel_workspace_jobs: boolean;
  template_active_version_id: string;
  template_require_active_version: boolean;
  template_use_classic_parameter_flow: boolean;
  latest_build: WorkspaceBuild;
  latest_app_status: WorkspaceAppStatus | null;
  outdated: boolean;
  name: string;
  autostart_schedule: string | null;
  ttl_ms: number | null;
  last_used_at: string;
  deleting_at: string | null;
  dormant_at: string | null;
  health: { healthy: boolean; failing_agents: string[] };
  automatic_updates: string;
  allow_renames: boolean;
  favorite: boolean;
  next_start_at: string | null;
  is_prebuild: boolean;
  task_id: string | null;
}

export interface TransitionStats {
  P50: number | null;
  P95: number | null;
}

export interface Template {
  id: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  organization_name: string;
  organization_display_name: string;
  organization_icon: string;
  name: string;
  display_name: string;
  provisioner: string;
  active_version_id: string;
  active_user_count: number;
  build_time_stats: { start: TransitionStats; stop: TransitionStats; delete: TransitionStats };
  description: string;
  deprecated: boolean;
  deprecation_message: string;
  icon: string;
  default_ttl_ms: number;
  activity_bump_ms: number;
  autostop_requirement: { days_of_week: string[]; weeks: number };
  autostart_requirement: { days_of_week: string[] };
  created_by_id: string;
  created_by_name: string;
  allow_user_autostart: boolean;
  allow_user_autostop: boolean;
  allow_user_cancel_workspace_jobs: boolean;
  failure_ttl_ms: number;
  time_til_dormant_ms: number;
  time_til_dormant_autodelete_ms: number;
  require_active_version: boolean;
  max_port_share_level: string;
  cors_behavior: string;
  use_classic_parameter_flow: boolean;
}

export interface TemplateVersion {
  id: string;
  template_id: string | null;
  organization_id: string;
  created_at: string;
  updated_at: string;
  name: string;
  message: string;
  job: ProvisionerJob;
  readme: string;
  created_by: MinimalUser;
  archived: boolean;
  warnings: string[];
}

export interface WorkspaceBuildParameter {
  name: string;
  value: string;
}

export interface UploadResponse {
  hash: string;
}

export interface SerpentOption {
  name: string;
  description: string;
  required: boolean;
  flag: string;
  env: string;
  yaml: string;
  default: string;
  value: unknown;
  annotations: Record<string, string>;
  group: { name: string; yaml: string; description: string };
  hidden: boolean;
  value_source: string;
}

export interface NotificationsConfig {
  max_send_attempts: number;
  retry_interval: number;
  sync_interval: number;
  sync_buffer_size: number;
  lease_period: number;
  lease_count: number;
  fetch_interval: number;
  method: string;
  dispatch_timeout: number;
  email: {
    from: string;
    smarthost: string;
    hello: string;
    auth: { identity: string; username: string; password: string; password_file: string };
    tls: { start_tls: boolean; server_name: string; insecure_skip_verify: boolean; ca_file: string; cert_file: string; key_file: string };
    force_tls: boolean;
  };
  webhook: { endpoint: string };
  inbox: { enabled: boolean };
}

export interface DeploymentConfig {
  config: { access_url?: string; notifications?: NotificationsConfig };
  options: SerpentOption[];
}

export interface Response {
  message: string;
  detail?: string;
  validations?: { field: string; detail: string }[];
}

/**
 * Every key of T, as a runtime list: the `Record<keyof T, true>` argument makes the compiler
 * refuse a list that leaves one out, so "every field is present" checks the whole type.
 */
export const keysOf =
  <T>() =>
  (all: Record<keyof T, true>): string[] =>
    Object.keys(all);

// ---- The transport ----

export class ReferenceApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Response,
  ) {
    super(`${status} ${body?.message}`);
  }
}

export interface RawAnswer {
  status: number;
  body: any;
  /** The request as it went out (headers sent), to check the transport does what axios does. */
  sent: Record<string, string | number | string[] | undefined>;
}

/** One request as axios' Node adapter sends it. */
export function axiosLikeRequest(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; raw?: { type: string; data: Buffer } } = {},
): Promise<RawAnswer> {
  const url = new URL(`/api/v2${path}`, baseUrl);
  const headers: Record<string, string | number> = { Accept: 'application/json, text/plain, */*' };
  let data: Buffer | undefined;
  if (opts.raw) {
    headers['Content-Type'] = opts.raw.type;
    data = opts.raw.data;
  } else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    data = Buffer.from(JSON.stringify(opts.json));
  } else if (method !== 'GET' && method !== 'DELETE' && method !== 'HEAD') {
    // What axios in Node does for a body-less POST/PUT/PATCH.
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  if (data || method !== 'GET') headers['Content-Length'] = data?.length ?? 0;
  if (opts.token) headers['Coder-Session-Token'] = opts.token;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text || undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body, sent: req.getHeaders() });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

// ---- The client: the reference's method names, its paths, its types ----

export class ReferenceClient {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  private async call<T>(method: string, path: string, opts: { json?: unknown; raw?: { type: string; data: Buffer } } = {}): Promise<T> {
    const r = await axiosLikeRequest(this.baseUrl, method, path, { ...opts, token: this.token });
    if (r.status >= 400) throw new ReferenceApiError(r.status, r.body as Response);
    return r.body as T;
  }

  // Auth and users
  getAuthMethods = () => this.call<AuthMethods>('GET', '/users/authmethods');
  login = (email: string, password: string) => this.call<{ session_token: string }>('POST', '/users/login', { json: { email, password } });
  logout = () => this.call<Response>('POST', '/users/logout');
  getAuthenticatedUser = () => this.call<User>('GET', '/users/me');
  checkAuthorization = (req: AuthorizationRequest) => this.call<AuthorizationResponse>('POST', '/authcheck', { json: req });
  validateUserPassword = (password: string) => this.call<ValidateUserPasswordResponse>('POST', '/users/validate-password', { json: { password } });
  createUser = (req: CreateUserRequestWithOrgs) => this.call<User>('POST', '/users', { json: req });
  suspendUser = (id: string) => this.call<User>('PUT', `/users/${id}/status/suspend`);
  activateUser = (id: string) => this.call<User>('PUT', `/users/${id}/status/activate`);
  requestOneTimePassword = (email: string) => this.call<undefined>('POST', '/users/otp/request', { json: { email } });
  changePasswordWithOTP = (req: { email: string; one_time_passcode: string; password: string }) =>
    this.call<undefined>('POST', '/users/otp/change-password', { json: req });

  // Deployment and notifications
  getDeploymentConfig = () => this.call<DeploymentConfig>('GET', '/deployment/config');
  postTestNotification = () => this.call<undefined>('POST', '/notifications/test');
  markAllInboxNotificationsAsRead = () => this.call<undefined>('PUT', '/notifications/inbox/mark-all-as-read');

  // Templates and files
  uploadFile = (data: Buffer) => this.call<UploadResponse>('POST', '/files', { raw: { type: 'application/x-tar', data } });
  createTemplateVersion = (org: string, req: Record<string, unknown>) => this.call<TemplateVersion>('POST', `/organizations/${org}/templateversions`, { json: req });
  createTemplate = (org: string, req: Record<string, unknown>) => this.call<Template>('POST', `/organizations/${org}/templates`, { json: req });
  getTemplate = (id: string) => this.call<Template>('GET', `/templates/${id}`);
  getTemplateVersion = (id: string) => this.call<TemplateVersion>('GET', `/templateversions/${id}`);
  getTemplateVersionByName = (org: string, template: string, version: string) =>
    this.call<TemplateVersion>('GET', `/organizations/${org}/templates/${template}/versions/${version}`);

  // Workspaces, builds, agents
  createWorkspace = (user: string, req: Record<string, unknown>) => this.call<Workspace>('POST', `/users/${user}/workspaces`, { json: req });
  getWorkspace = (id: string) => this.call<Workspace>('GET', `/workspaces/${id}`);
  getWorkspaceBuildByNumber = (user: string, workspace: string, n: number) =>
    this.call<WorkspaceBuild>('GET', `/users/${user}/workspace/${workspace}/builds/${n}`);
  getWorkspaceBuildParameters = (buildId: string) => this.call<WorkspaceBuildParameter[]>('GET', `/workspacebuilds/${buildId}/parameters`);
  getWorkspaceAgent = (id: string) => this.call<WorkspaceAgent>('GET', `/workspaceagents/${id}`);
  /** The agent SDK's PatchAppStatus: this client's token is the agent's. */
  patchAppStatus = (req: { app_slug: string; state: string; message: string; uri?: string }) =>
    this.call<undefined>('PATCH', '/workspaceagents/me/app-status', { json: req });
}
