/**
 * Debian's Chromium driven by playwright-core (no browser download), with the flags this machine needs:
 * headless, no sandbox as root, no GPU, and no background networking (its connections are refused here).
 * Used by the browser test and `npm run screenshots`.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}
