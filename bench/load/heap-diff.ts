/**
 * What grew between two V8 heap snapshots (from BENCH_HEAP_SNAPSHOTS): objects counted and sized
 * by type and constructor name, the largest growths first. Enough to tell a leak of one kind of
 * object (a listener, a stream, a record per sandbox) from caches and compiled code warming up;
 * open the snapshots in Chrome DevTools for the retainers.
 *
 *   node .tmp/bench/load/run.js heap-diff BEFORE.heapsnapshot AFTER.heapsnapshot [rows]
 */
import { readFileSync } from "node:fs";

interface HeapFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

/** Self size and count per `type name` (a constructor for objects, the text's kind for strings). */
function groups(path: string): Map<string, Group> {
  const heap = JSON.parse(readFileSync(path, "utf8")) as HeapFile;
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = heap.snapshot.meta.node_types[0];
  const result = new Map<string, Group>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt] as number] ?? "?";
    // Strings and code are many and nameless in a useful sense: group them by type alone.
    const name = ["string", "concatenated string", "sliced string", "code", "number"].includes(type)
      ? ""
      : (heap.strings[heap.nodes[i + nameAt] as number] ?? "").slice(0, 60);
    const key = `${type} ${name}`.trim();
    const group = result.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += heap.nodes[i + sizeAt] as number;
    result.set(key, group);
  }
  return result;
}

export function heapDiff(before: string, after: string, rows: number): void {
  const a = groups(before);
  const b = groups(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const diffs = [...keys].map((key) => {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: y.count - x.count, bytes: y.bytes - x.bytes };
  });
  const total = diffs.reduce((sum, d) => sum + d.bytes, 0);
  console.log(`self size ${total >= 0 ? "+" : ""}${(total / 1024).toFixed(1)} KiB in all\n`);
  console.log("| type and constructor | count | self size (KiB) |");
  console.log("|---|---|---|");
  for (const d of diffs.sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes)).slice(0, rows)) {
    console.log(`| ${d.key} | ${d.count >= 0 ? "+" : ""}${d.count} | ${(d.bytes / 1024).toFixed(1)} |`);
  }
}
