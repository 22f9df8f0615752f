// A real browser for the portal's tests and benchmark: Debian's chromium driven by playwright-core
// (which downloads no browser of its own), so the machine's package manager, not npm, owns the binary.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The browser was not found: names the package to install. */
export class MissingBrowserError extends Error {
  constructor(detail: string) {
    super(`no Chromium to run the portal's browser tests (${detail}): install Debian's package with \`apt-get install chromium\`, or set BEAMLINE_CHROMIUM to a Chromium binary`);
    this.name = 'MissingBrowserError';
  }
}

/** The Chromium binary: `$BEAMLINE_CHROMIUM`, else `chromium` on PATH. Throws {@link MissingBrowserError} when there is none. */
export function chromiumPath(): string {
  const configured = process.env['BEAMLINE_CHROMIUM'];
  if (configured !== undefined && configured !== '') {
    if (!existsSync(configured)) throw new MissingBrowserError(`BEAMLINE_CHROMIUM=${configured} does not exist`);
    return configured;
  }
  try {
    const found = execFileSync('which', ['chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (found !== '') return found;
  } catch {
    // `which` exits 1 when the command is absent: reported below.
  }
  throw new MissingBrowserError('`chromium` is not on PATH');
}

/** Chromium's console line for a response of status >= 400 (not for a failed connection, `net::ERR_…`, which stays an error). */
const HTTP_STATUS_LINE = /^Failed to load resource: the server responded with a status of \d+/;

/** A launched headless Chromium with one context; `close()` ends the browser process. */
export interface TestBrowser {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /**
   * Console messages of type `error` and uncaught page errors, of every page opened through
   * {@link TestBrowser.newPage}; without Chromium's own "Failed to load resource: the server
   * responded with a status of …" lines, which repeat what {@link TestBrowser.failedResponses} holds.
   */
  readonly errors: string[];
  /** Every response with a status of 400 or more those pages received, so tests can allow the expected ones by name. */
  readonly failedResponses: { readonly status: number; readonly url: string }[];
  /** A new page of the context whose console errors and page errors land in {@link TestBrowser.errors}. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium (see {@link chromiumPath}). `--no-sandbox` only when running as root,
 * where Chromium refuses to start with its sandbox; elsewhere the sandbox stays on. Callers close
 * it in `after`, whatever happened.
 */
export async function launchBrowser(options: { ignoreHTTPSErrors?: boolean } = {}): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  const asRoot = process.getuid?.() === 0;
  const browser = await chromium.launch({ executablePath, headless: true, args: asRoot ? ['--no-sandbox'] : [] });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false, viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const failedResponses: { status: number; url: string }[] = [];
    return {
      browser,
      context,
      errors,
      failedResponses,
      async newPage() {
        const page = await context.newPage();
        page.on('console', (message) => {
          if (message.type() === 'error' && !HTTP_STATUS_LINE.test(message.text())) errors.push(`console error on ${page.url()}: ${message.text()}`);
        });
        page.on('response', (response) => {
          if (response.status() >= 400) failedResponses.push({ status: response.status(), url: response.url() });
        });
        page.on('pageerror', (error) => errors.push(`page error on ${page.url()}: ${error.message}`));
        return page;
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
