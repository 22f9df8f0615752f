// Screenshots of the portal's pages, taken by the browser tests on every run: into
// `test-results/screenshots/` (gitignored: they differ by a few bytes each run, and a test run must
// not dirty the working tree), and also into `docs/screenshots/` (what the README shows newcomers)
// when `BEAMLINE_SCREENSHOTS=1` asks to refresh them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const RUN_DIR = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const DOCS_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

/**
 * Saves a full-page screenshot of `page` as `<name>.png` (a file-name-safe name: `clusters`,
 * `cluster-detail`, `dashboard-dark`) and returns its size, so a test can check that something was drawn.
 */
export async function saveScreenshot(page: Page, name: string): Promise<number> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new Error(`screenshot name "${name}" must be lower-case letters, digits and dashes`);
  const directories = process.env['BEAMLINE_SCREENSHOTS'] === '1' ? [RUN_DIR, DOCS_DIR] : [RUN_DIR];
  const shot = await page.screenshot({ fullPage: true });
  for (const directory of directories) {
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, `${name}.png`), shot);
  }
  return shot.length;
}
