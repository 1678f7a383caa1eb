// Debian's Chromium driven by playwright-core: one browser, one context per person, so each
// keeps their own session cookie like two people on two machines.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const WIDE = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    // The runner owns signals: it closes the browser itself, then stops the servers and drops
    // the database. Playwright's handlers would exit the process before that.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

/**
 * A page for one person. The clipboard is recorded instead of used: headless Chromium's real
 * clipboard depends on the machine, and the test only needs to know what the button copied.
 */
export async function newPersonPage(browser, baseURL) {
  const context = await browser.newContext({ baseURL, viewport: WIDE });
  await context.addInitScript(() => {
    const record = async (text) => {
      window.__copied = String(text);
    };
    try {
      Object.defineProperty(navigator, 'clipboard', {
        configurable: true,
        value: { writeText: record, readText: async () => window.__copied ?? '' },
      });
    } catch {
      // Some builds lock navigator.clipboard; the copy button then uses its textarea fallback.
    }
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(30_000);
  return page;
}

/**
 * Waits until no skeleton or "Loading" status is left, so screenshots show data. Pages render
 * their skeletons on the server, so "none left" means the client queries have answered; no
 * networkidle wait (it costs half a second a page and prefetches keep resetting it).
 */
export async function settle(page) {
  await page.waitForLoadState('load');
  await page
    .waitForFunction(() => !document.querySelector('[role="status"][aria-label^="Loading"], .animate-pulse'), null, {
      timeout: 10_000,
      polling: 100,
    })
    .catch(() => {});
  // Charts measure their box one frame after mounting.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

export function screenshotDir(webRoot) {
  const dir = join(webRoot, 'e2e/screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Full-page screenshots of each path at desktop and phone width. Also reports the pages that
 * scroll sideways at phone width (the page itself, not a table inside its own scroll box).
 */
export async function screenshotPages(page, { dir, prefix, paths }) {
  const files = [];
  const overflowing = [];
  for (const size of [WIDE, PHONE]) {
    await page.setViewportSize(size);
    for (const path of paths) {
      await page.goto(path);
      await settle(page);
      const name = `${prefix}-${path.replace(/^\//, '').replace(/\//g, '-') || 'home'}-${size.width}.png`;
      await page.screenshot({ path: join(dir, name), fullPage: true });
      files.push(name);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 1) overflowing.push(`${path} at ${size.width} px (+${wide} px)`);
    }
  }
  await page.setViewportSize(WIDE);
  return { files, overflowing };
}
