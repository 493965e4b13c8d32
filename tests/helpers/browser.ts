import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium (installed by .ci/run); playwright-core never downloads a browser here. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser tests run: always in CI (a missing browser then fails loudly, since
 * .ci/run installs it), and locally when chromium is installed.
 */
export const runBrowserTests = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!runBrowserTests) console.warn(`Skipping browser tests: ${CHROMIUM} is not installed (apt-get install -y chromium).`);

/** Headless chromium with the flags this offline machine needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}
