/**
 * What `binaries` enforcement costs a sandbox's connection in local mode (issue 17): the same curl
 * requests from inside one sandbox through the egress proxy to a test server on this host, under two
 * names whose rules differ only in `binaries: [{ path: "/usr/bin/curl" }]`. For the checked name the
 * gateway finds the process behind each new connection (kernel TCP table, /proc) before deciding;
 * for the other it decides at once. Batches alternate between the two names so load falls on both.
 *
 * 1. new connections: each request by a curl process of its own, as a plain proxy request and through
 *    a CONNECT tunnel (`curl -p`, decided at the CONNECT); time to first byte per way, the added p50,
 *    and the gateway's own time per lookup (timed in this process, see lookup-timing.ts), beside one
 *    read of a kernel TCP table, timed apart.
 * 2. one kept-alive connection: many requests by one curl; the verdict is per connection, so only
 *    its first request should pay for a lookup.
 *
 *   npm run bench:binaries     (BENCH_QUICK=1 for a short run; BENCH_RUNTIME=podman for Podman)
 *
 * Needs a rootful engine on this host and this process as root (so the gateway sees the sandbox's
 * processes), and the image openshell-test/curl:1 (scripts/engines.sh). The gateway is ephemeral and
 * the sandbox carries openshell.ai/bench=binaries; all is removed at the end, on failure and Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OpenShell, type Sandbox } from "../../src/index.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { benchEngine, benchLabels, removeBenchObjects } from "../shared/engine.js";
import { loadAverage } from "../shared/machine.js";
import { rotate } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { newConnections, oneConnection, type Transfer, tcpTableEntries } from "./curl-timings.js";
import { childEhashEntries, tableReads, timeLookups } from "./lookup-timing.js";
import { CHECKED, OPEN, printFresh, printKept, printTableReads, WAYS, type WayName } from "./report.js";

const quick = process.env.BENCH_QUICK === "1";
const IMAGE = process.env.OPENSHELL_TEST_CURL_IMAGE ?? "openshell-test/curl:1";
const LABELS = benchLabels("binaries");
/** New connections: batches per way, curls per batch. */
const BATCHES = quick ? 4 : 10;
const PER_BATCH = quick ? 10 : 30;
const WARMUP = 5;
/** Kept-alive: connections per way, requests per connection. */
const KEEPALIVE_ROUNDS = quick ? 2 : 10;
const PER_CONNECTION = 50;
/** Reads of this host's TCP table, timed apart for the floor of a lookup. */
const TABLE_READS = 50;

const HOSTS: Record<WayName, string> = { [CHECKED]: "checked.bench.test", [OPEN]: "open.bench.test" };

const closers: (() => Promise<unknown>)[] = [];

/** The checkout's commit, for the figures' record; empty outside a git checkout. */
function commitOf(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "bench/binaries", "src"], {
      encoding: "utf8",
    });
    return dirty === "" ? head : `${head} with uncommitted changes`;
  } catch {
    return "";
  }
}

async function startServer(): Promise<{ server: Server; port: number; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    seen.set(host, (seen.get(host) ?? 0) + 1);
    res.setHeader("content-type", "application/json");
    res.end('{"ok":true}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const lookups = timeLookups();
  const engine = benchEngine();
  const runtime = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
  closers.push(async () => {
    await removeBenchObjects(runtime, LABELS);
    await runtime.close();
  });
  const leftovers = await removeBenchObjects(runtime, LABELS);
  if (leftovers > 0) console.log(`removed ${leftovers} object(s) left over by an earlier run`);
  const engineVersion = (await runtime.info()).version;
  const { port, seen } = await startServer();

  const os = await OpenShell.local({
    runtime: engine.kind,
    runtimeOptions: { endpoint: engine.endpoint },
    ephemeral: true,
    egressHosts: Object.fromEntries(Object.values(HOSTS).map((host) => [host, "127.0.0.1"])),
  });
  closers.unshift(() => os.close());
  const sb: Sandbox = await os.sandboxes.create({
    name: `bench-bin-${process.pid}`,
    image: IMAGE,
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
    containerLabels: LABELS,
    policy: {
      process: { runAsUser: "1000", runAsGroup: "1000" },
      networkPolicies: {
        // The two rules differ in binaries alone.
        checked: { endpoints: [{ host: HOSTS[CHECKED], port }], binaries: [{ path: "/usr/bin/curl" }] },
        open: { endpoints: [{ host: HOSTS[OPEN], port }] },
      },
    },
  });
  await sb.ready({ timeoutMs: 60_000 });
  const url = (way: WayName) => `http://${HOSTS[way]}:${port}/item`;

  // Warm-up: the first use pins curl's SHA-256, the proxy's pools and this process's JIT settle.
  for (const way of WAYS)
    for (const tunnel of [false, true]) await newConnections(sb, url(way), WARMUP, tunnel);
  if (lookups.checks.length === 0) {
    throw new Error(
      "the gateway looked up no connection's process, so nothing here would measure binaries: " +
        "run the benchmark as root against a rootful engine on this host (see the sandbox's gateway log)",
    );
  }
  const parts = [false, true].map((tunnel) => ({
    tunnel,
    title: tunnel
      ? "New connection per request through a CONNECT tunnel (curl -p, a curl process each)"
      : "New connection per request (a curl process each)",
    transfers: new Map<WayName, Transfer[]>(WAYS.map((w) => [w, []])),
    checks: [] as number[],
    finds: [] as number[],
  }));
  // Each batch rotates the order of the four (way, part) pairs; lookups are counted per batch.
  const pairs = parts.flatMap((part) => WAYS.map((way) => ({ part, way })));
  const entriesAtFresh = await tcpTableEntries(sb);
  for (let batch = 0; batch < BATCHES; batch++) {
    for (const { part, way } of rotate(pairs, batch)) {
      lookups.reset();
      part.transfers.get(way)?.push(...(await newConnections(sb, url(way), PER_BATCH, part.tunnel)));
      part.checks.push(...lookups.checks);
      part.finds.push(...lookups.finds);
    }
  }

  const entriesAtKept = await tcpTableEntries(sb);
  const kept = new Map<WayName, Transfer[][]>(WAYS.map((w) => [w, []]));
  lookups.reset();
  for (let round = 0; round < KEEPALIVE_ROUNDS; round++) {
    for (const way of rotate(WAYS, round))
      kept.get(way)?.push(await oneConnection(sb, url(way), PER_CONNECTION));
  }
  const keptLookups = { checks: [...lookups.checks], finds: [...lookups.finds] };
  const reads = await tableReads(TABLE_READS);
  const ehash = await childEhashEntries();
  const loadAtEnd = loadAverage();

  const commit = commitOf();
  console.log(
    `\nbinaries enforcement: curl in a sandbox (${IMAGE}) through local mode's egress proxy ` +
      `(Node ${process.version}, ${engine.kind} ${engineVersion}${commit ? `, ${commit}` : ""})`,
  );
  console.log(`load average (1, 5, 15 min): ${loadAtStart} at the start, ${loadAtEnd} at the end`);
  for (const part of parts) printFresh(part, entriesAtFresh);
  printTableReads(reads, ehash);
  printKept(kept, keptLookups.checks, keptLookups.finds, entriesAtKept);
  const served = WAYS.map((w) => `${HOSTS[w]} ${seen.get(HOSTS[w]) ?? 0}`).join(", ");
  console.log(`requests the test server answered: ${served}`);
}

runBench(main, async () => {
  for (const close of closers.splice(0)) await close().catch((error: unknown) => console.error(error));
});
