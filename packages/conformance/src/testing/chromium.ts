import { existsSync } from "node:fs";

// Headless Chromium for the browser tests (the dashboard, the HTML report), launched with
// playwright-core by the test itself: the kit gives the binary and the flags, not a dependency.

/** Debian's Chromium (apt-get install chromium). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is not installed (apt-get install chromium)`;
}

/**
 * Options for playwright's `chromium.launchPersistentContext(profileDir, …)`: headless, and on a
 * closed network kept from reaching out (it would flood refused connections). `extra` is merged in
 * (e.g. a viewport).
 */
export function chromiumLaunchOptions<T extends object>(extra?: T): { executablePath: string; args: string[] } & T {
  return {
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    ...(extra ?? ({} as T)),
  };
}
