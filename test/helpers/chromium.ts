/**
 * Real headless Chromium for the viewer tests and the viewer bench: Debian's /usr/bin/chromium
 * (scripts/setup-browser.sh installs it) driven by playwright-core, with the project's flags.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches it; a missing browser is an error that says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser.sh (or set SVC_MESH_SKIP_BROWSER=1 to skip)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
