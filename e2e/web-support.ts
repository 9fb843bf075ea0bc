import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { cleanUp, type PlatformProcess, repoRoot } from './platform-process.js';

/** What the browser specs (e2e/web-*.e2e.spec.ts) share: Chromium, keyed contexts, screenshots, the teardown. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The longest a browser test waits for one thing to appear (a shared 2-core machine). */
export const WAIT = 20_000;

/** Debian's Chromium, headless; launch() gives it a fresh user-data-dir each time (removed on close). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

declare const window: { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };

/** A browser context whose pages start signed in with `key` (kept in localStorage, as after a sign-in). */
export async function keyedContext(browser: Browser, key: string, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript((k) => {
    if (!window.localStorage.getItem('switchboard.key')) window.localStorage.setItem('switchboard.key', k);
  }, key);
  return context;
}

/** Screenshots go to SCREENSHOTS_DIR (docs/screenshots, for the README), else to a temp folder removed after. */
export function screenshots(tag: string): { shot(page: Page, name: string, fullPage?: boolean): Promise<void>; close(): void } {
  const dir = process.env.SCREENSHOTS_DIR ? path.resolve(repoRoot, process.env.SCREENSHOTS_DIR) : mkdtempSync(path.join(tmpdir(), `sb-${tag}-shots-`));
  mkdirSync(dir, { recursive: true });
  return {
    async shot(page, name, fullPage = false) {
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage });
    },
    close() {
      if (!process.env.SCREENSHOTS_DIR) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How every browser spec ends: the browser, the platform and its Redis keys, the fake servers, the screenshots. */
export async function tearDownBrowserSpec(
  browser: Browser | undefined,
  platform: PlatformProcess | undefined,
  servers: readonly ({ close(): Promise<unknown> } | undefined)[],
  closeShots: () => void,
): Promise<void> {
  await browser?.close();
  await platform?.stop();
  await cleanUp(platform);
  for (const server of servers) await server?.close();
  closeShots();
}
