// `node bench/lib/alloc-summary.mjs file.heapprofile [per]`: what a sampling heap
// profile (allocations, collected ones included) says, by allocating function
// (self bytes), largest first; `per` divides the bytes (e.g. per take-over).
import { readFileSync } from "node:fs";

const [file, perArg] = process.argv.slice(2);
const per = Number(perArg ?? 1);
const profile = JSON.parse(readFileSync(file, "utf8"));
const self = new Map();
let total = 0;
const walk = (node) => {
  const f = node.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  const bytes = node.selfSize;
  total += bytes;
  self.set(key, (self.get(key) ?? 0) + bytes);
  for (const child of node.children) walk(child);
};
walk(profile.head);
console.log(`total ${(total / per).toFixed(0)} bytes allocated${per === 1 ? "" : ` per 1/${per}`}`);
for (const [key, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`${(bytes / per).toFixed(0).padStart(8)} B  ${key}`);
