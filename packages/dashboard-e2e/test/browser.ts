// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromiumPath, chromiumTestArgs } from "@amqtt/test-utils";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where the end-to-end test writes its screenshots (gitignored). */
export const artifactsDir = join(import.meta.dirname, "..", "test-artifacts");

/** A headless Chromium with a fresh profile, and the page errors it saw. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page: the test expects none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Starts Chromium at 1280x800. The flags keep it off the network (this machine's
 * closed network refuses its background connections) and out of the sandbox (root).
 */
export async function launchBrowser(colorScheme: "light" | "dark" = "light"): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "amqtt-dashboard-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    colorScheme,
    args: [...chromiumTestArgs],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Writes a full-viewport screenshot to test-artifacts/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Per chart canvas on the page, how many pixels have the colour of its first series
 * (within a small distance, for anti-aliasing): above zero means a line was drawn,
 * not only the axes and the grid.
 */
export function seriesPixelsPerChart(
  page: Page,
): Promise<{ title: string; pixels: number; width: number }[]> {
  return page.evaluate(() => {
    const parse = (css: string): [number, number, number] => {
      const probe = document.createElement("canvas").getContext("2d");
      if (probe === null) return [0, 0, 0];
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const [r = 0, g = 0, b = 0] = probe.getImageData(0, 0, 1, 1).data;
      return [r, g, b];
    };
    return [...document.querySelectorAll("figure.chart")].map((figure) => {
      const title = figure.querySelector("figcaption")?.textContent ?? "";
      const canvas = figure.querySelector("canvas");
      const marker = figure.querySelector<HTMLElement>(".u-series:not(:first-child) .u-marker");
      if (canvas === null || marker === null) return { title, pixels: 0, width: 0 };
      const [r, g, b] = parse(getComputedStyle(marker).borderColor);
      const ctx = canvas.getContext("2d");
      if (ctx === null) return { title, pixels: 0, width: canvas.width };
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let pixels = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near =
          Math.abs((data[i] ?? 0) - r) < 24 &&
          Math.abs((data[i + 1] ?? 0) - g) < 24 &&
          Math.abs((data[i + 2] ?? 0) - b) < 24;
        if (near && (data[i + 3] ?? 0) > 200) pixels++;
      }
      return { title, pixels, width: canvas.width };
    });
  });
}

/** How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
