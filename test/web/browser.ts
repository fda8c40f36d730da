// Browser tests: Debian's Chromium driven by playwright-core against a real herald server.
//
//   const b = await openBrowser();            // once per file
//   const { page, errors } = await b.page(server.url);
//   ... expect(errors()).toEqual([]);
//   await b.close();

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/server/static.js';
import { afterAll, beforeAll } from 'vitest';
import type { ApiHelper } from '../support/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stdout.write(
    `\n[herald tests] ${CHROMIUM} is missing: the browser tests in test/web are SKIPPED (install Debian's chromium package; .ci/run does).\n\n`,
  );
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = join(ROOT, 'docs', 'images');

/**
 * The server serves dist/web; `npm test` builds it first (pretest). When a test file runs on its own
 * without a build, build it here into a private folder and move it into place (parallel-safe).
 */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(join(DASHBOARD_DIR, 'index.html'))) return;
  const { build } = await import('vite');
  const tmp = `${DASHBOARD_DIR}.tmp-${process.pid}`;
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
  try {
    rmSync(DASHBOARD_DIR, { recursive: true, force: true });
    renameSync(tmp, DASHBOARD_DIR);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// A signed-out visit asks the API who is signed in; Chromium logs those expected 401/404 answers.
const EXPECTED_FAILURES = [/\/api\/v2\/users\/me$/, /\/api\/v2\/users\/first$/];

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far (expected signed-out probes excluded). */
  errors(): string[];
}

export interface TestBrowser {
  page(baseURL: string, opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<TestPage>;
  /** Closes every page opened so far (before their server stops). */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const contexts: BrowserContext[] = [];
  return {
    async page(baseURL, opts = {}) {
      const context = await browser.newContext({
        baseURL,
        viewport: { width: opts.width ?? 1100, height: opts.height ?? 720 },
        colorScheme: opts.colorScheme ?? 'light',
      });
      contexts.push(context);
      context.setDefaultTimeout(8000);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const url = msg.location().url ?? '';
        if (msg.text().startsWith('Failed to load resource') && EXPECTED_FAILURES.some((re) => re.test(url))) return;
        errors.push(`${msg.text()} (${url})`);
      });
      page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
      return { page, context, errors: () => [...errors] };
    },
    async closePages() {
      await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
    },
    async close() {
      await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
      await browser.close();
    },
  };
}

/**
 * One Chromium for the tests of the enclosing describe: launched before them, closed after them.
 * The handle can be used in any test or hook of that describe.
 */
export function sharedBrowser(): TestBrowser {
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => browser?.close());
  const opened = (): TestBrowser => {
    if (!browser) throw new Error('sharedBrowser(): used before its beforeAll ran');
    return browser;
  };
  return {
    page: (baseURL, opts) => opened().page(baseURL, opts),
    closePages: async () => browser?.closePages(),
    close: async () => browser?.close(),
  };
}

/** Screenshots are refreshed only on request (`npm run screenshots`), so test runs leave docs/ alone. */
export const takeScreenshots = !!process.env.HERALD_SCREENSHOTS;

/** Saves a screenshot for the documentation (docs/images/<name>.png) when takeScreenshots is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!takeScreenshots) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Signs in through the login form. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Signs a browser context in with an existing session token (the login form has its own test). */
export async function useSession(context: BrowserContext, url: string, api: ApiHelper): Promise<void> {
  await context.addCookies([{ name: 'coder_session_token', value: api.token!, url }]);
}

let axeSource: string | undefined;
const AXE_SOURCE = () => (axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** Serious and critical axe-core violations on the page as it is now (rule id and targets). */
export async function axeViolations(page: Page): Promise<string[]> {
  // The dashboard's CSP refuses inline scripts; evaluation through the DevTools protocol is not a page script.
  // Once per document: a second check of the same document (another theme) reuses it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE());
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/**
 * Switches the page to the light or dark theme (prefers-color-scheme) and waits until the restyle
 * has settled: CSS transitions of the changed colours run to their end before anything reads them.
 */
export async function themed(page: Page, colorScheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme });
  await page.evaluate(async (scheme) => {
    if (!matchMedia(`(prefers-color-scheme: ${scheme})`).matches) throw new Error(`the page is not in the ${scheme} theme`);
    await Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)));
  }, colorScheme);
}
