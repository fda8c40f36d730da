// The dashboard's API client. Response types come from the server's own source (type-only
// imports, erased at build time), so the client and the routes cannot drift apart silently.
import type { Static } from '@sinclair/typebox';
import type { UserJson } from '../../src/contract/common.js';
import type { DeploymentConfig } from '../../src/api/routes/deployment.js';
import type { InboxNotification } from '../../src/notifications/inbox/store.js';
import type { NotificationTemplateJson } from '../../src/notifications/templates/store.js';
import type { toMessageJson } from '../../src/notifications/messages.js';
import type { toPreferenceJson } from '../../src/notifications/preferences.js';

export type { InboxNotification, NotificationTemplateJson as NotificationTemplate, UserJson as User };
export type Preference = ReturnType<typeof toPreferenceJson>;
export type DeliveryMessage = ReturnType<typeof toMessageJson>;
export type ConfigOption = Static<typeof DeploymentConfig>['options'][number];
export interface InboxPage {
  notifications: InboxNotification[];
  unread_count: number;
}
export interface InboxFrame {
  notification: InboxNotification;
  unread_count: number;
}
export interface DispatchMethods {
  available: string[];
  default: string;
}
export interface MessageQuery {
  status?: string;
  method?: string;
  template_id?: string;
  limit?: number;
  offset?: number;
}

export const API_BASE = '/api/v2';
/** Page size of GET /notifications/inbox (fixed by the server). */
export const INBOX_PAGE_SIZE = 25;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
    readonly validations?: { field: string; detail: string }[],
  ) {
    super(message);
  }
}

let onUnauthorized: (() => void) | undefined;
/** Called when an authenticated call answers 401 (the session expired or was revoked). */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

async function request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
  const res = await fetch(API_BASE + path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = res.status === 204 || res.status === 304 ? '' : await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok && res.status !== 304) {
    const e = (data ?? {}) as { message?: string; detail?: string; validations?: { field: string; detail: string }[] };
    if (res.status === 401 && opts.auth !== false) onUnauthorized?.();
    throw new ApiError(res.status, e.message ?? `${res.status} ${res.statusText}`, e.detail, e.validations);
  }
  return data as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A readable one-line explanation of a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const v = err.validations?.map((x) => `${x.field}: ${x.detail}`).join('; ');
    return [err.message, err.detail, v].filter(Boolean).join(' — ');
  }
  return err instanceof Error ? err.message : String(err);
}

export const api = {
  // Users and sessions
  me: () => request<UserJson>('GET', '/users/me', undefined, { auth: false }),
  async hasFirstUser(): Promise<boolean> {
    try {
      await request('GET', '/users/first', undefined, { auth: false });
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  },
  createFirstUser: (b: { email: string; username: string; name: string; password: string }) =>
    request<{ user_id: string }>('POST', '/users/first', b, { auth: false }),
  login: (email: string, password: string) =>
    request<{ session_token: string }>('POST', '/users/login', { email, password }, { auth: false }),
  logout: () => request<void>('POST', '/users/logout', undefined, { auth: false }),
  requestOneTimePasscode: (email: string) => request<void>('POST', '/users/otp/request', { email }, { auth: false }),
  changePasswordWithOneTimePasscode: (b: { email: string; password: string; one_time_passcode: string }) =>
    request<void>('POST', '/users/otp/change-password', b, { auth: false }),

  // Inbox
  inbox: (startingBefore?: string) => request<InboxPage>('GET', `/notifications/inbox${query({ starting_before: startingBefore })}`),
  markRead: (id: string, isRead = true) =>
    request<{ notification: InboxNotification; unread_count: number }>('PUT', `/notifications/inbox/${encodeURIComponent(id)}/read-status`, {
      is_read: isRead,
    }),
  markAllRead: () => request<void>('PUT', '/notifications/inbox/mark-all-as-read'),
  sendCustom: (title: string, message: string) => request<void>('POST', '/notifications/custom', { content: { title, message } }),

  // Templates and preferences
  templates: (kind: 'system' | 'custom') => request<NotificationTemplateJson[]>('GET', `/notifications/templates/${kind}`),
  dispatchMethods: () => request<DispatchMethods>('GET', '/notifications/dispatch-methods'),
  preferences: () => request<Preference[]>('GET', '/users/me/notifications/preferences'),
  updatePreferences: (map: Record<string, boolean>) =>
    request<Preference[]>('PUT', '/users/me/notifications/preferences', { template_disabled_map: map }),

  // Deployment (owners)
  setTemplateMethod: (id: string, method: string) =>
    request<{ message: string } | undefined>('PUT', `/notifications/templates/${encodeURIComponent(id)}/method`, { method }),
  resetTemplateMethod: (id: string) =>
    request<{ message: string } | undefined>('DELETE', `/notifications/templates/${encodeURIComponent(id)}/method`),
  notifierSettings: () => request<{ notifier_paused: boolean }>('GET', '/notifications/settings'),
  updateNotifierSettings: (notifier_paused: boolean) =>
    request<{ notifier_paused: boolean } | undefined>('PUT', '/notifications/settings', { notifier_paused }),
  sendTestNotification: () => request<void>('POST', '/notifications/test'),
  messages: (q: MessageQuery) => request<{ messages: DeliveryMessage[]; count: number }>('GET', `/notifications/messages${query({ ...q })}`),
  deploymentConfig: () => request<Static<typeof DeploymentConfig>>('GET', '/deployment/config'),
};

/** The inbox watch socket's address (the session cookie authenticates it). */
export function inboxWatchUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${API_BASE}/notifications/inbox/watch?read_status=unread`;
}
