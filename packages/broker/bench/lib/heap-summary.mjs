// `node bench/lib/heap-summary.mjs before.heapsnapshot after.heapsnapshot [per]`:
// the objects a heap grew by between two V8 heap snapshots, by constructor name
// (count and self size), largest first; `per` divides the bytes (e.g. per
// subscription). Self sizes only: what one object costs, not what it retains.
import { readFileSync } from "node:fs";

function summary(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((n) => f.indexOf(n));
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += f.length) {
    const type = types[nodes[i + iType]];
    const name = type === "object" || type === "closure" ? snap.strings[nodes[i + iName]] : `(${type})`;
    const e = out.get(name) ?? { count: 0, size: 0 };
    e.count++;
    e.size += nodes[i + iSize];
    out.set(name, e);
  }
  return out;
}

const [beforeFile, afterFile, perArg] = process.argv.slice(2);
const per = Number(perArg ?? 1);
const before = summary(beforeFile);
const after = summary(afterFile);
const rows = [];
let total = 0;
for (const [name, a] of after) {
  const b = before.get(name) ?? { count: 0, size: 0 };
  const size = a.size - b.size;
  total += size;
  rows.push({ name, count: a.count - b.count, size });
}
rows.sort((x, y) => y.size - x.size);
console.log(`total +${(total / per).toFixed(1)} bytes${per === 1 ? "" : ` per 1/${per}`}`);
for (const r of rows.slice(0, 25))
  console.log(
    `${(r.size / per).toFixed(1).padStart(9)} B ${(r.count / per).toFixed(2).padStart(7)} objs  ${r.name}`,
  );
