// A small renderer for the documentation's screenshots: it draws the REAL JSON Herald sent to a test
// listener (Slack Block Kit, a Teams Adaptive Card, a Discord embed) or the notification the service
// worker showed, roughly as the service's client does, in Chromium, into docs/images/<name>.png.
// Roughly: layout, colours and the elements each format has; not the services' exact styling.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { SCREENSHOTS, type TestBrowser } from './browser.js';

const md = new MarkdownIt({ html: false, linkify: false, breaks: true });
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Slack mrkdwn → HTML: the text arrives with &, <, > as entities; <url|text> are links. */
function mrkdwn(text: string): string {
  return text
    .split(/(<[^>|]+(?:\|[^>]*)?>)/)
    .map((part) => {
      const link = /^<([^>|]+)(?:\|([^>]*))?>$/.exec(part);
      if (link) return `<a href="#">${link[2] ?? link[1]}</a>`;
      return part
        .replace(/```([\s\S]*?)```/g, '<pre>$1</pre>')
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
        .replace(/(^|\W)_([^_\n]+)_(?=\W|$)/g, '$1<i>$2</i>')
        .replace(/~([^~\n]+)~/g, '<s>$1</s>')
        .replace(/\n/g, '<br>');
    })
    .join('');
}

function slackHtml(body: { blocks?: any[]; text?: string }): string {
  const blocks = (body.blocks ?? [])
    .map((b) => {
      if (b.type === 'header') return `<div class="s-header">${esc(b.text?.text)}</div>`;
      if (b.type === 'section') return `<div class="s-section">${b.text?.type === 'mrkdwn' ? mrkdwn(b.text.text) : esc(b.text?.text)}</div>`;
      if (b.type === 'context') return `<div class="s-context">${(b.elements ?? []).map((e: any) => (e.type === 'mrkdwn' ? mrkdwn(e.text) : esc(e.text))).join(' ')}</div>`;
      if (b.type === 'divider') return '<hr>';
      if (b.type === 'actions') return `<div class="s-actions">${(b.elements ?? []).map((e: any) => `<span class="s-button ${e.style === 'primary' ? 'primary' : ''}">${esc(e.text?.text)}</span>`).join('')}</div>`;
      return '';
    })
    .join('');
  return `<div class="slack"><div class="s-avatar">H</div><div class="s-main"><div class="s-name">Herald <span class="s-app">APP</span> <span class="s-time">10:42 AM</span></div>${blocks || mrkdwn(esc(body.text))}</div></div>`;
}

function teamsHtml(body: { attachments?: { contentType: string; content: any }[] }): string {
  const card = body.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content ?? {};
  const items = (card.body ?? [])
    .map((e: any) => {
      if (e.type !== 'TextBlock') return '';
      const cls = [e.weight === 'Bolder' ? 'bold' : '', e.size ? `size-${String(e.size).toLowerCase()}` : '', e.isSubtle ? 'subtle' : ''].join(' ');
      return `<div class="t-text ${cls}">${md.render(String(e.text ?? ''))}</div>`;
    })
    .join('');
  const actions = (card.actions ?? []).map((a: any) => `<span class="t-button">${esc(a.title)}</span>`).join('');
  return `<div class="teams"><div class="t-head"><div class="t-avatar">W</div><div><b>Workflows</b> <span class="t-time">10:42 AM</span><div class="t-via">via Herald · Adaptive Card ${esc(card.version)}</div></div></div><div class="t-card">${items}${actions ? `<div class="t-actions">${actions}</div>` : ''}</div></div>`;
}

function discordHtml(body: { content?: string; username?: string; embeds?: any[] }): string {
  const embeds = (body.embeds ?? [])
    .map((e) => {
      const color = typeof e.color === 'number' ? `#${e.color.toString(16).padStart(6, '0')}` : '#5865f2';
      const title = e.url ? `<a class="d-title" href="#">${esc(e.title)}</a>` : `<div class="d-title">${esc(e.title)}</div>`;
      return `<div class="d-embed" style="border-left-color:${color}">${title}<div class="d-desc">${md.render(String(e.description ?? ''))}</div>${e.footer ? `<div class="d-footer">${esc(e.footer.text)}</div>` : ''}</div>`;
    })
    .join('');
  return `<div class="discord"><div class="d-avatar">H</div><div class="d-main"><div class="d-name">${esc(body.username || 'Herald')} <span class="d-bot">APP</span> <span class="d-time">Today at 10:42</span></div>${body.content ? `<div>${md.render(body.content)}</div>` : ''}${embeds}</div></div>`;
}

interface Shown {
  title: string;
  body: string;
  icon: string;
  actions: { action: string; title: string }[];
  data: { url: string };
}
function pushHtml(n: Shown, origin: string): string {
  const host = new URL(origin).hostname;
  // The test server's access URL (http://test.com) is not reachable: the icon is loaded from the running server.
  const icon = n.icon ? `${origin}${new URL(n.icon).pathname}` : '';
  return `<div class="push"><div class="p-top"><img src="${esc(icon)}" alt="" class="p-icon"><span class="p-app">Chromium · ${esc(host)}</span></div><div class="p-title">${esc(n.title)}</div><div class="p-body">${esc(n.body)}</div><div class="p-actions">${n.actions.map((a) => `<span>${esc(a.title)}</span>`).join('')}</div></div>`;
}

const CSS = `
body { margin: 0; padding: 16px; font: 15px/1.46 -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif; background: #f4f4f4; }
#shot { display: inline-block; max-width: 560px; }
#shot > .slack, #shot > .teams, #shot > .discord { width: 528px; }
a { color: #1264a3; text-decoration: none; }
pre, code { font-family: Menlo, Consolas, monospace; font-size: 12px; background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px; padding: 1px 3px; }
p { margin: 0 0 4px; }
.slack { display: flex; gap: 8px; background: #fff; padding: 12px 16px; border-radius: 6px; color: #1d1c1d; }
.s-avatar, .d-avatar, .t-avatar { width: 36px; height: 36px; border-radius: 6px; background: #5b3fbf; color: #fff; display: flex; align-items: center; justify-content: center; font-weight: 700; flex: none; }
.s-main { flex: 1; }
.s-name { font-weight: 900; } .s-app { font-size: 10px; background: #eee; color: #555; padding: 1px 3px; border-radius: 2px; font-weight: 700; } .s-time { font-weight: 400; color: #616061; font-size: 12px; }
.s-header { font-size: 18px; font-weight: 900; margin: 6px 0 4px; }
.s-section { margin: 4px 0; }
.s-actions { display: flex; gap: 8px; margin-top: 8px; }
.s-button { border: 1px solid #bbb; border-radius: 4px; padding: 4px 12px; font-weight: 700; font-size: 13px; }
.s-button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.s-context { color: #616061; font-size: 12px; }
.teams { background: #f5f5f5; padding: 12px; border-radius: 6px; color: #242424; font-family: "Segoe UI", Arial, sans-serif; }
.t-head { display: flex; gap: 8px; margin-bottom: 6px; } .t-avatar { border-radius: 50%; background: #4f52b2; }
.t-time, .t-via { color: #616161; font-size: 12px; }
.t-card { background: #fff; border-radius: 6px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.14); }
.t-text.bold { font-weight: 600; } .t-text.size-medium { font-size: 17px; } .t-text.subtle { color: #616161; }
.t-text { margin-bottom: 8px; }
.t-actions { display: flex; gap: 8px; border-top: 1px solid #eee; padding-top: 10px; }
.t-button { flex: 1; text-align: center; border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 10px; font-weight: 600; font-size: 14px; color: #242424; }
.discord { display: flex; gap: 14px; background: #313338; color: #dbdee1; padding: 14px 16px; border-radius: 6px; font-family: "gg sans", "Noto Sans", Arial, sans-serif; }
.d-avatar { border-radius: 50%; background: #5865f2; width: 40px; height: 40px; }
.d-main { flex: 1; } .d-name { color: #f2f3f5; font-weight: 600; } .d-bot { background: #5865f2; color: #fff; font-size: 10px; padding: 1px 4px; border-radius: 3px; } .d-time { color: #949ba4; font-size: 12px; font-weight: 400; }
.d-embed { background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 12px 12px; margin-top: 4px; max-width: 520px; }
.d-title { font-weight: 600; color: #00a8fc; display: block; margin: 4px 0; } div.d-title { color: #f2f3f5; }
.d-desc { font-size: 14px; } .d-desc a { color: #00a8fc; } .d-desc strong { color: #f2f3f5; }
.d-footer { color: #b5bac1; font-size: 12px; margin-top: 8px; }
.push { background: #fff; border-radius: 10px; box-shadow: 0 4px 16px rgba(0,0,0,.25); padding: 12px 14px; width: 360px; color: #202124; font-family: Roboto, Arial, sans-serif; }
.p-top { display: flex; align-items: center; gap: 8px; color: #5f6368; font-size: 12px; margin-bottom: 6px; } .p-icon { width: 20px; height: 20px; }
.p-title { font-weight: 500; } .p-body { color: #3c4043; font-size: 14px; }
.p-actions { display: flex; gap: 16px; margin-top: 10px; border-top: 1px solid #e8eaed; padding-top: 8px; } .p-actions span { color: #1a73e8; font-weight: 500; font-size: 13px; }
`;

async function shoot(browser: TestBrowser, baseURL: string, inner: string, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const { page } = await browser.page(baseURL, { width: 640, height: 480 });
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body><div id="shot">${inner}</div></body></html>`, { waitUntil: 'load' });
  await page.locator('#shot').screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.close();
}

export const renderSlackMessage = (b: TestBrowser, baseURL: string, body: unknown, name: string) => shoot(b, baseURL, slackHtml(body as never), name);
export const renderTeamsMessage = (b: TestBrowser, baseURL: string, body: unknown, name: string) => shoot(b, baseURL, teamsHtml(body as never), name);
export const renderDiscordMessage = (b: TestBrowser, baseURL: string, body: unknown, name: string) => shoot(b, baseURL, discordHtml(body as never), name);
/** The notification as the service worker showed it (registration.getNotifications()). */
export const renderPushNotification = (b: TestBrowser, n: Shown, origin: string, name: string) => shoot(b, origin, pushHtml(n, origin), name);
