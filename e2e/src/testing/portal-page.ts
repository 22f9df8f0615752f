// What every portal browser test does to a page: log a user in through the run's OIDC provider,
// and judge the page as it is (axe, the console, failed requests) with a screenshot.
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import type { TestBrowser } from './browser.ts';
import { saveScreenshot } from './screenshots.ts';

/** A failed response a test expects and handles (a dry run the apiserver refuses, say). */
export type ExpectedFailure = (response: { readonly status: number; readonly url: string }) => boolean;

/** Logs `user` in at the manager through the provider's login page (at `issuer`) and waits for the Dashboard. */
export async function logIn(page: Page, managerUrl: string, issuer: string, user: { readonly username: string; readonly password: string }): Promise<void> {
  await page.goto(`${managerUrl}/`);
  await page.getByRole('link', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(managerUrl));
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

/** axe's serious and critical violations of the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${String(violation.impact)}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/**
 * Fails on console errors, page errors or failed requests (but the `expected` ones) seen since the
 * last check; taken out as they are judged, so a failure names the step (`where`) it happened in.
 */
export function assertNoErrors(browser: TestBrowser, where: string, expected: ExpectedFailure = () => false): void {
  assert.deepEqual(browser.errors.splice(0), [], `console and page errors up to ${where}`);
  assert.deepEqual(
    browser.failedResponses.splice(0).filter((response) => !expected(response)),
    [],
    `unexpected failed requests up to ${where}`,
  );
}

/**
 * Judges the page once its views have loaded (not "network idle": the live event stream stays
 * open): no serious axe violation, no error, and its screenshot `name`.
 */
export async function judgePage(page: Page, browser: TestBrowser, name: string, expected?: ExpectedFailure): Promise<void> {
  await page.getByText(/^Loading .*…$/).first().waitFor({ state: 'detached', timeout: 30_000 });
  assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
  assertNoErrors(browser, name, expected);
  assert.ok((await saveScreenshot(page, name)) > 1000, `a screenshot of ${name}`);
}
