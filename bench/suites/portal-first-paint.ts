// The portal's first paint in a real browser (Debian's chromium through playwright-core), for the
// `portal` suite: how long a logged-in scientist waits for the dashboard to show anything.
import { launchBrowser } from '../../e2e/src/testing/browser.ts';

/** How many cold loads the median is taken over. */
export const FIRST_PAINT_LOADS = 5;

/**
 * Loads the dashboard at `<url>/` `FIRST_PAINT_LOADS` times, each in a new browser context (no
 * cache, no service worker, no memory of the last load: cold), with the session cookie already
 * set (logged in), and returns each load's first contentful paint in ms, from the Paint Timing
 * API: relative to the navigation's start, the page's time origin. Each load also waits for the
 * Dashboard heading, so that a page which paints only an error does not pass for a fast one.
 */
export async function measureFirstPaint(url: string, cookie: { readonly name: string; readonly value: string }): Promise<number[]> {
  const browser = await launchBrowser();
  try {
    const samples: number[] = [];
    for (let load = 0; load < FIRST_PAINT_LOADS; load++) {
      const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.addCookies([{ name: cookie.name, value: cookie.value, url }]);
        const page = await context.newPage();
        await page.goto(`${url}/`);
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor({ timeout: 30_000 });
        // The heading may be in the DOM a frame before it is painted: wait for the paint entry (buffered, so one already recorded counts).
        // A string: Node's types (this package has no DOM library) do not know the 'paint' entry type.
        const paint = await page.evaluate<number | undefined>(`new Promise((resolve) => {
          const observer = new PerformanceObserver((list) => {
            const entry = list.getEntriesByName('first-contentful-paint')[0];
            if (entry !== undefined) { observer.disconnect(); resolve(entry.startTime); }
          });
          observer.observe({ type: 'paint', buffered: true });
          setTimeout(() => resolve(undefined), 5000);
        })`);
        if (paint === undefined) throw new Error('the browser reported no first contentful paint for the dashboard');
        samples.push(paint);
      } finally {
        await context.close();
      }
    }
    return samples;
  } finally {
    await browser.close();
  }
}

/** How many cold loads the applications list's median is taken over. */
export const LIST_LOADS = 3;

/**
 * Loads `<url><path>` `LIST_LOADS` times cold (a new browser context each, logged in) and returns,
 * for each load, the time from the navigation's start until `firstRowLink` (a link the list's
 * first page shows) is visible: what a user waits for before the list is usable.
 */
export async function measureListLoad(url: string, cookie: { readonly name: string; readonly value: string }, path: string, firstRowLink: string): Promise<number[]> {
  const browser = await launchBrowser();
  try {
    const samples: number[] = [];
    for (let load = 0; load < LIST_LOADS; load++) {
      const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.addCookies([{ name: cookie.name, value: cookie.value, url }]);
        const page = await context.newPage();
        await page.goto(`${url}${path}`);
        await page.getByRole('link', { name: firstRowLink, exact: true }).first().waitFor({ timeout: 60_000 });
        // Milliseconds since the navigation started (the page's time origin), read right after the row showed.
        samples.push(await page.evaluate(() => performance.now()));
      } finally {
        await context.close();
      }
    }
    return samples;
  } finally {
    await browser.close();
  }
}
