// The dashboard's API calls: a thin layer over the contract's typed client (src/contract/), which
// declares every request and answer once for the server, the dashboard and the CLI.
import {
  API_PREFIX,
  ApiClient,
  ApiError,
  queryString,
  type EndpointKey,
  type Input,
  type InboxListQuery,
  type InboxWatchQuery,
  type MessagesQuery,
  type Output,
  type UserJson,
} from '../../src/contract/index.js';

export type {
  ConfigOption,
  DeliveryMessage,
  DispatchMethods,
  InboxKind,
  InboxNotification,
  InboxPage,
  InboxWatchFrame as InboxFrame,
  NotificationTemplate,
  Preference,
  UserJson as User,
  Workspace,
  WorkspaceBuild,
  BuildLog,
  Template,
  TemplateVersion,
  Preset,
} from '../../src/contract/index.js';
export {
  AI_PROMPT_PARAMETER,
  RESOURCE_REPLACEMENTS_STAGE,
  durationText,
  templateScheduleRows,
  workspaceScheduleRows,
} from '../../src/contract/index.js';
export type { ChannelPreferences } from '../../src/contract/preference-channels.js';
export type { DestinationKind, UserDestination } from '../../src/contract/channels.js';
import type { DestinationKind } from '../../src/contract/channels.js';
export { ApiError, INBOX_KINDS, INBOX_PAGE_SIZE } from '../../src/contract/index.js';

export const API_BASE = API_PREFIX;

/** The history filters as the page holds them ('' = any); the server validates the values. */
export type MessageQuery = { [K in keyof MessagesQuery]?: MessagesQuery[K] | string };

// Same origin: the session cookie authenticates every call.
const client = new ApiClient({ credentials: 'same-origin' });

let onUnauthorized: (() => void) | undefined;
/** Called when an authenticated call answers 401 (the session expired or was revoked). */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

/** A call that needs a session: a 401 tells the app the session is gone. */
async function authed<K extends EndpointKey>(key: K, input?: Input<K>): Promise<Output<K>> {
  try {
    return await (client.call as (k: K, i?: Input<K>) => Promise<Output<K>>)(key, input);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) onUnauthorized?.();
    throw err;
  }
}
/** A call that may answer 401 without meaning the session ended (login, the first user, /users/me). */
const open = <K extends EndpointKey>(key: K, input?: Input<K>): Promise<Output<K>> =>
  (client.call as (k: K, i?: Input<K>) => Promise<Output<K>>)(key, input);

/** A readable one-line explanation of a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const v = err.validations?.map((x) => `${x.field}: ${x.detail}`).join('; ');
    return [err.message, err.detail, v].filter(Boolean).join(' — ');
  }
  return err instanceof Error ? err.message : String(err);
}

const me = { user: 'me' };

export const api = {
  // Users and sessions
  me: (): Promise<UserJson> => open('GET /users/me'),
  async hasFirstUser(): Promise<boolean> {
    try {
      await open('GET /users/first');
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  },
  createFirstUser: (body: { email: string; username: string; name: string; password: string }) => open('POST /users/first', { body }),
  login: (email: string, password: string) => open('POST /users/login', { body: { email, password } }),
  logout: () => open('POST /users/logout'),
  requestOneTimePasscode: (email: string) => open('POST /users/otp/request', { body: { email } }),
  changePasswordWithOneTimePasscode: (body: { email: string; password: string; one_time_passcode: string }) =>
    open('POST /users/otp/change-password', { body }),

  // Inbox
  inbox: (startingBefore?: string, filter: Omit<InboxListQuery, 'starting_before'> = {}) =>
    authed('GET /notifications/inbox', { query: { ...filter, starting_before: startingBefore } }),
  markRead: (id: string, isRead = true) => authed('PUT /notifications/inbox/{id}/read-status', { params: { id }, body: { is_read: isRead } }),
  archive: (id: string, archived = true) => authed('PUT /notifications/inbox/{id}/archive', { params: { id }, body: { archived } }),
  snooze: (id: string, until: string | null) => authed('PUT /notifications/inbox/{id}/snooze', { params: { id }, body: { until } }),
  markAllRead: () => authed('PUT /notifications/inbox/mark-all-as-read'),
  sendCustom: (title: string, message: string) => authed('POST /notifications/custom', { body: { content: { title, message } } }),

  // Templates and preferences
  templates: (kind: 'system' | 'custom') => authed(`GET /notifications/templates/${kind}`),
  dispatchMethods: () => authed('GET /notifications/dispatch-methods'),
  preferences: () => authed('GET /users/{user}/notifications/preferences', { params: me }),
  updatePreferences: (map: Record<string, boolean>) =>
    authed('PUT /users/{user}/notifications/preferences', { params: me, body: { template_disabled_map: map } }),

  channelPreferences: () => authed('GET /users/{user}/notifications/preferences/channels', { params: me }),
  updateChannelPreferences: (template_channels: Record<string, Record<string, boolean>>) =>
    authed('PUT /users/{user}/notifications/preferences/channels', { params: me, body: { template_channels } }),

  // Browser push and the user's own destinations
  webpushPublicKey: () => authed('GET /notifications/webpush/public-key'),
  webpushSubscribe: (body: { endpoint: string; auth_key: string; p256dh_key: string }) =>
    authed('POST /users/{user}/webpush/subscription', { params: me, body }),
  webpushUnsubscribe: (endpoint: string) => authed('DELETE /users/{user}/webpush/subscription', { params: me, body: { endpoint } }),
  webpushTest: () => authed('POST /users/{user}/webpush/test', { params: me }),
  destinationKinds: () => authed('GET /notifications/destinations/kinds'),
  destinations: () => authed('GET /users/{user}/notifications/destinations', { params: me }),
  createDestination: (body: { kind: DestinationKind; name?: string; url: string }) =>
    authed('POST /users/{user}/notifications/destinations', { params: me, body }),
  verifyDestination: (id: string, code: string) =>
    authed('POST /users/{user}/notifications/destinations/{destination}/verify', { params: { ...me, destination: id }, body: { code } }),
  deleteDestination: (id: string) => authed('DELETE /users/{user}/notifications/destinations/{destination}', { params: { ...me, destination: id } }),

  // Deployment (owners)
  setTemplateMethod: (id: string, method: string) =>
    authed('PUT /notifications/templates/{notification_template}/method', { params: { notification_template: id }, body: { method } }),
  resetTemplateMethod: (id: string) =>
    authed('DELETE /notifications/templates/{notification_template}/method', { params: { notification_template: id } }),
  notifierSettings: () => authed('GET /notifications/settings'),
  updateNotifierSettings: (notifier_paused: boolean) => authed('PUT /notifications/settings', { body: { notifier_paused } }),
  sendTestNotification: () => authed('POST /notifications/test'),
  messages: (query: MessageQuery) => authed('GET /notifications/messages', { query: query as MessagesQuery }),
  deploymentConfig: () => authed('GET /deployment/config'),

  // Workspaces, builds, templates and users: the pages notifications link to
  workspaces: (q: string) => authed('GET /workspaces', { query: { q } }),
  workspaceByName: (owner: string, name: string, includeDeleted = false) =>
    authed('GET /users/{user}/workspace/{name}', { params: { user: owner, name }, query: includeDeleted ? { include_deleted: true } : {} }),
  builds: (workspaceId: string) => authed('GET /workspaces/{workspace}/builds', { params: { workspace: workspaceId } }),
  buildLogs: (buildId: string, after?: number) =>
    authed('GET /workspacebuilds/{workspacebuild}/logs', { params: { workspacebuild: buildId }, query: after ? { after } : {} }),
  buildByNumber: (owner: string, name: string, buildnumber: number) =>
    authed('GET /users/{user}/workspace/{name}/builds/{buildnumber}', { params: { user: owner, name, buildnumber } }),
  buildParameters: (buildId: string) => authed('GET /workspacebuilds/{workspacebuild}/parameters', { params: { workspacebuild: buildId } }),
  createBuild: (workspaceId: string, transition: 'start' | 'stop' | 'delete', templateVersionId?: string) =>
    authed('POST /workspaces/{workspace}/builds', {
      params: { workspace: workspaceId },
      body: templateVersionId ? { transition, template_version_id: templateVersionId } : { transition },
    }),
  templatesList: () => authed('GET /templates'),
  templateByName: (org: string, name: string) => authed('GET /organizations/{organization}/templates/{name}', { params: { organization: org, name } }),
  templateVersions: (templateId: string) => authed('GET /templates/{id}/versions', { params: { id: templateId } }),
  presets: (versionId: string) => authed('GET /templateversions/{templateversion}/presets', { params: { templateversion: versionId } }),
  users: (q: string) => authed('GET /users', { query: { q } }),
  suspendUser: (id: string) => authed('PUT /users/{user}/status/suspend', { params: { user: id } }),
  activateUser: (id: string) => authed('PUT /users/{user}/status/activate', { params: { user: id } }),
};

/** The address of the socket that streams a build's log lines after `after` while it runs (the session cookie authenticates it). */
export function buildLogsFollowUrl(buildId: string, after = 0): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${API_PREFIX}/workspacebuilds/${encodeURIComponent(buildId)}/logs${queryString({ follow: 'true', after })}`;
}

/** The inbox watch socket's address (the session cookie authenticates it). */
export function inboxWatchUrl(query: InboxWatchQuery = { read_status: 'unread' }): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${API_PREFIX}/notifications/inbox/watch${queryString(query)}`;
}
