import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createAzoraClient, MeDocument, type StoredSession } from '@azora/sdk';
import type { SignedIn } from '@azora/testing';
import { REPO_ROOT } from '../../../../router/src/repo-composition';
import { WEB_APP_CSP } from '../../../../router/src/web-app';

/*
 * What every browser story shares: Debian's Chromium driven by playwright-core, screenshots under the git-ignored
 * test-artifacts/, signing up through the form, opening the app as someone signed in through the API, and a watch for
 * Content-Security-Policy violations (the router serves the app with a strict CSP; a violation is a broken screen).
 */

export const CHROMIUM = '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery staple';
export const DESKTOP = { width: 1100, height: 900 };
export const PHONE = { width: 375, height: 740 };

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it)`);
  // Playwright gives every launch a new empty profile (its own --user-data-dir). The flags keep Chromium off the
  // network it cannot reach here (Google's services), which otherwise costs refused connections at every start.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh folder test-artifacts/<story>/, and a function that saves numbered full-page screenshots into it. */
export function screenshots(story: string): (page: Page, step: string) => Promise<void> {
  const folder = join(REPO_ROOT, 'test-artifacts', story);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  let shot = 0;
  return async (page, step) => {
    await page.screenshot({ path: join(folder, `${String(++shot).padStart(2, '0')}-${step}.png`), fullPage: true });
  };
}

/**
 * Every Content-Security-Policy violation any page of the context reports: each page logs its
 * `securitypolicyviolation` events to the console, where the test collects them.
 */
export async function cspViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
  context.on('console', (message) => {
    if (message.text().startsWith('CSP violation: ')) violations.push(message.text());
  });
  return violations;
}

export interface BrowserPerson {
  name: string;
  email: string;
  page: Page;
  violations: string[];
}

/** A new browser profile opens the app, checks the CSP header it is served with, and signs up through the form. */
export async function signUpInBrowser(
  browser: Browser,
  origin: string,
  name: string,
  viewport = DESKTOP,
): Promise<BrowserPerson> {
  const context = await browser.newContext({ viewport });
  const violations = await cspViolations(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const email = `${name.toLowerCase()}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
  const response = await page.goto(`${origin}/`);
  if (response?.headers()['content-security-policy'] !== WEB_APP_CSP)
    throw new Error(`the app was served without its CSP: ${JSON.stringify(response?.headers())}`);
  await page.getByRole('link', { name: 'Create account' }).click();
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your wallet' }).waitFor();
  return { name, email, page, violations };
}

/**
 * A browser profile already signed in as `who` (signed in through the API): the app takes the session from its
 * sessionStorage, as after a reload. The credentials are the platform's secret, never typed into the page.
 */
export async function openSignedIn(
  browser: Browser,
  url: string,
  routerUrl: string,
  who: SignedIn,
  viewport = DESKTOP,
): Promise<{ page: Page; violations: string[] }> {
  const { me } = await createAzoraClient({ url: routerUrl, getToken: () => who.accessToken }).query(MeDocument);
  if (!me) throw new Error('no such user');
  const context = await browser.newContext({ viewport });
  const violations = await cspViolations(context);
  const session: StoredSession = {
    accessToken: who.accessToken,
    refreshToken: who.refreshToken,
    expiresAt: Date.now() + 10 * 60_000,
    user: me,
  };
  // Only on the first document: a reload keeps whatever the app itself stored since (a refreshed session, say).
  await context.addInitScript({
    content: `if (!sessionStorage.getItem('azora.session')) sessionStorage.setItem('azora.session', ${JSON.stringify(JSON.stringify(session))});`,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(url);
  return { page, violations };
}

/** True when the page fits its viewport's width (nothing to scroll sideways at phone width). */
export async function fitsWidth(page: Page): Promise<boolean> {
  // Runs in the page; the test's tsconfig has no DOM types.
  return page.evaluate(
    'document.documentElement.scrollWidth <= document.documentElement.clientWidth',
  ) as Promise<boolean>;
}
