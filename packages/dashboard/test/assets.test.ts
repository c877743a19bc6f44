// The built package: the assets admin serves exist, reference only files of their own, and
// nothing loads from another origin (no CDN).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertDashboardBuilt, dashboardAssetsDir, dashboardIndexFile } from "../src/index.ts";

describe("the built dashboard", () => {
  it("has index.html in dashboardAssetsDir", () => {
    expect(() => assertDashboardBuilt()).not.toThrow();
    expect(dashboardIndexFile).toBe(join(dashboardAssetsDir, "index.html"));
  });

  it("references its hashed script and style by relative URLs that exist", () => {
    const html = readFileSync(dashboardIndexFile, "utf8");
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.some((r) => /assets\/index-[\w-]+\.js$/.test(r))).toBe(true);
    expect(refs.some((r) => /assets\/index-[\w-]+\.css$/.test(r))).toBe(true);
    for (const ref of refs) {
      expect(ref.startsWith("./")).toBe(true);
      expect(existsSync(join(dashboardAssetsDir, ref))).toBe(true);
    }
  });

  it("loads nothing from another origin", () => {
    const files = readdirSync(join(dashboardAssetsDir, "assets")).filter((f) => /\.(js|css)$/.test(f));
    const texts = [
      readFileSync(dashboardIndexFile, "utf8"),
      ...files.map((f) => readFileSync(join(dashboardAssetsDir, "assets", f), "utf8")),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/(?:src|href)=["']https?:/);
      expect(text).not.toMatch(/@import\s+(?:url\()?["']?https?:/);
      expect(text).not.toMatch(/import\s*\(?\s*["']https?:/);
    }
  });
});
