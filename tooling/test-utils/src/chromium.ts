// Debian's Chromium for browser tests (driven by playwright-core, which never downloads one).

/** Debian's Chromium (the `chromium` package, in bootstrap's systemPackages). */
export const chromiumPath = "/usr/bin/chromium";

/**
 * Flags for a headless test Chromium: off the network (this machine's closed network refuses
 * its background connections: QUIC, updates, sync) and out of the sandbox (tests run as root).
 */
export const chromiumTestArgs: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
