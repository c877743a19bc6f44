// Fails when a Markdown file of the repository links to a relative path that does
// not exist in the clone (a link into ../shared or a moved file), so the docs
// explain themselves on a fresh clone. Web links are not checked (no network here).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { root } from "./bootstrap.mjs";

const skip = new Set(["node_modules", "dist", ".git", ".turbo", ".vitest"]);

function markdownFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const p = join(dir, name);
    return statSync(p).isDirectory() ? markdownFiles(p) : name.endsWith(".md") ? [p] : [];
  });
}

/** Broken relative links in the repository's Markdown, as `file: target` lines. */
export function brokenLinks() {
  const broken = [];
  for (const file of markdownFiles(root)) {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split("#")[0];
      if (target === "" || /^[a-z]+:/i.test(target)) continue;
      const path = resolve(dirname(file), target);
      if (!existsSync(path) || !path.startsWith(root)) broken.push(`${relative(root, file)}: ${m[1]}`);
    }
  }
  return broken;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const broken = brokenLinks();
  for (const b of broken) console.error(`broken link in ${b}`);
  if (broken.length > 0) process.exit(1);
  console.log("check-links: every relative link resolves");
}
