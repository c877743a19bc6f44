// `node bench/lib/heap-owners.mjs file.heapsnapshot <type:name> [min bytes]`: which
// fields hold the nodes of one V8 heap snapshot whose "type:name" starts with the
// given prefix (e.g. `object:Array`, `number:heap number`, `array:` for backing
// stores, `hidden:system / PropertyArray`), grouped by holder and field, largest
// first: the distinct held nodes, their self sizes, and how many holders point at
// them (a shared object has one node and many holders). `heap-summary.mjs` says
// which classes a heap grew by; this says who keeps them (a per-connection object
// shows up as about one held node per connection).
import { readFileSync } from "node:fs";

const [file, prefix, minArg] = process.argv.slice(2);
if (file === undefined || prefix === undefined) {
  console.error("usage: heap-owners.mjs file.heapsnapshot <type:name prefix> [min bytes]");
  process.exit(2);
}
const min = Number(minArg ?? 0);
const snap = JSON.parse(readFileSync(file, "utf8"));
const meta = snap.snapshot.meta;
const nodeFields = meta.node_fields;
const edgeFields = meta.edge_fields;
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const [iType, iName, iSize, iEdges] = ["type", "name", "self_size", "edge_count"].map((n) =>
  nodeFields.indexOf(n),
);
const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((n) => edgeFields.indexOf(n));
const { nodes, edges, strings } = snap;
const label = (i) => `${nodeTypes[nodes[i + iType]]}:${strings[nodes[i + iName]]}`;

const byHolder = new Map();
let e = 0;
for (let i = 0; i < nodes.length; i += nodeFields.length) {
  for (let k = 0; k < nodes[i + iEdges]; k++, e += edgeFields.length) {
    const kind = edgeTypes[edges[e + eType]];
    if (kind === "weak") continue;
    const to = edges[e + eTo];
    if (nodes[to + iSize] < min || !label(to).startsWith(prefix)) continue;
    const field = kind === "element" || kind === "hidden" ? `[${kind}]` : strings[edges[e + eName]];
    const key = `${label(i)} .${field}`;
    const row = byHolder.get(key) ?? { held: new Set(), holders: 0, bytes: 0 };
    row.holders++;
    if (!row.held.has(to)) {
      row.held.add(to);
      row.bytes += nodes[to + iSize];
    }
    byHolder.set(key, row);
  }
}
const rows = [...byHolder].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25);
console.log("     bytes    held holders  holder .field");
for (const [key, { held, holders, bytes }] of rows)
  console.log(
    `${String(bytes).padStart(10)} ${String(held.size).padStart(7)} ${String(holders).padStart(7)}  ${key}`,
  );
