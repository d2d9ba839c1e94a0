/**
 * The egress proxy's cost, side by side in one process: the same requests and TCP exchanges made
 * directly to loopback servers and through the local gateway's egress proxy (policy decision, name
 * resolution, forwarding). Batches alternate between the two so machine noise lands on both alike.
 *
 *   npm run bench:egress            (BENCH_QUICK=1 for a short smoke run)
 */

import * as http from "node:http";
import { loadavg } from "node:os";
import { median, percentile, ratio, runSchedule, type Way } from "../shared/rounds.js";
import { credentialRows } from "./credential-rows.js";
import { type BenchEndpoints, echoRoundTrip, get, openConnection, startEndpoints } from "./endpoints.js";
import {
  directAgent,
  type HttpsEndpoints,
  httpsGet,
  startHttpsEndpoints,
  tunnelAgent,
} from "./https-ways.js";

const quick = process.env.BENCH_QUICK === "1";

const WARMUP = quick ? 200 : 1000;
/** Sequential requests per way, in batches of this many before the other way's turn. */
const SEQ_ROUNDS = quick ? 400 : 4000;
const SEQ_BATCH = quick ? 100 : 250;
/** Throughput: requests per batch, how many keep-alive clients at once, batches per way. */
const PAR_ROUNDS = quick ? 1000 : 5000;
const CLIENTS = 16;
const PAR_BATCHES = quick ? 2 : 6;
/** Tunnel: echo round trips of a small message, and connections opened, per way. */
const ECHO_ROUNDS = quick ? 400 : 4000;
const OPEN_ROUNDS = quick ? 100 : 1000;
const MESSAGE = Buffer.alloc(64, "m");

const DIRECT = "direct";
const PROXY = "egress proxy";

const ms3 = (v: number) => v.toFixed(3);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

function requestWays(endpoints: BenchEndpoints): { ways: Way<"request">[]; agents: http.Agent[] } {
  // One pool per way, as large as the throughput part's clients: every request rides a kept-alive connection.
  const agent = () => new http.Agent({ keepAlive: true, maxSockets: CLIENTS, scheduling: "lifo" });
  const direct = agent();
  const viaProxy = agent();
  const target = `http://api.bench.test:${endpoints.upstreamPort}`;
  let n = 0;
  const timed = async (run: () => Promise<void>) => {
    const t = performance.now();
    await run();
    return { request: performance.now() - t };
  };
  return {
    agents: [direct, viaProxy],
    ways: [
      {
        name: DIRECT,
        round: () => timed(() => get(direct, "127.0.0.1", endpoints.upstreamPort, `/items?i=${n++}`)),
      },
      {
        name: PROXY,
        round: () =>
          timed(() => get(viaProxy, endpoints.proxy.host, endpoints.proxy.port, `${target}/items?i=${n++}`)),
      },
    ],
  };
}

async function tunnelWays(endpoints: BenchEndpoints) {
  const direct = await openConnection(endpoints, false);
  const tunnel = await openConnection(endpoints, true);
  const timed = async (run: () => Promise<unknown>) => {
    const t = performance.now();
    const value = await run();
    return { t: performance.now() - t, value };
  };
  const echoWays: Way<"rtt">[] = [
    { name: DIRECT, round: async () => ({ rtt: (await timed(() => echoRoundTrip(direct, MESSAGE))).t }) },
    { name: PROXY, round: async () => ({ rtt: (await timed(() => echoRoundTrip(tunnel, MESSAGE))).t }) },
  ];
  const openWay = (name: string, viaTunnel: boolean): Way<"open"> => ({
    name,
    round: async () => {
      const { t, value } = await timed(() => openConnection(endpoints, viaTunnel));
      (value as Awaited<ReturnType<typeof openConnection>>).destroy();
      return { open: t };
    },
  });
  return {
    echoWays,
    openWays: [openWay(DIRECT, false), openWay(PROXY, true)],
    close: () => [direct, tunnel].map((s) => s.destroy()),
  };
}

function httpsWays(endpoints: HttpsEndpoints): { ways: Way<"request">[]; agents: http.Agent[] } {
  const direct = directAgent(endpoints, CLIENTS);
  const viaProxy = tunnelAgent(endpoints, CLIENTS);
  let n = 0;
  const timed = async (run: () => Promise<void>) => {
    const t = performance.now();
    await run();
    return { request: performance.now() - t };
  };
  return {
    agents: [direct, viaProxy],
    ways: [
      {
        name: DIRECT,
        round: () => timed(() => httpsGet(direct, endpoints.upstreamPort, `/items?i=${n++}`, false)),
      },
      {
        name: PROXY,
        round: () => timed(() => httpsGet(viaProxy, endpoints.upstreamPort, `/items?i=${n++}`, true)),
      },
    ],
  };
}

/** Connection setup over TLS: a direct handshake, or CONNECT and a handshake with the proxy's certificate. */
function httpsOpenWays(endpoints: HttpsEndpoints): Way<"open">[] {
  const open = (agent: () => http.Agent, overTunnel: boolean): Way<"open"> => ({
    name: overTunnel ? PROXY : DIRECT,
    round: async () => {
      // A fresh pool per round: the GET opens (and pays for) one new connection.
      const pool = agent();
      const t = performance.now();
      await httpsGet(pool, endpoints.upstreamPort, "/open", overTunnel);
      const took = performance.now() - t;
      pool.destroy();
      return { open: took };
    },
  });
  return [open(() => directAgent(endpoints, 1), false), open(() => tunnelAgent(endpoints, 1), true)];
}

/** A sequential-only schedule of `rounds` per way. */
const sequential = (rounds: number, batch: number) => ({
  warmupRounds: Math.min(WARMUP, rounds),
  seqRounds: rounds,
  seqBatch: batch,
  parBatches: 0,
  parRounds: 0,
  parInFlight: 1,
});

function latencyTable<P extends string>(
  title: string,
  samples: Map<string, Record<P, number>[]>,
  phase: P,
): void {
  const values = (name: string) => (samples.get(name) ?? []).map((r) => r[phase]);
  const base = values(DIRECT);
  console.log(`\n${title}\n`);
  console.log("| way | p50 (ms) | p95 (ms) | p99 (ms) | added p50 (ms) | p50 / direct |");
  console.log("|---|---|---|---|---|---|");
  for (const name of samples.keys()) {
    const v = values(name);
    console.log(
      `| ${name} | ${ms3(median(v))} | ${ms3(percentile(v, 95))} | ${ms3(percentile(v, 99))} | ` +
        `${ms3(median(v) - median(base))} | ${ratio(median(v), median(base))} |`,
    );
  }
}

function throughputTable(samples: Map<string, number[]>, what = "requests"): void {
  const base = samples.get(DIRECT) ?? [];
  const rate = (wall: number) => PAR_ROUNDS / (wall / 1000);
  console.log(
    `\nThroughput: ${PAR_ROUNDS} ${what}, ${CLIENTS} keep-alive clients, median of ${PAR_BATCHES} batches\n`,
  );
  console.log("| way | requests/s | proxy / direct | same-batch ratio p50 | batches (req/s) |");
  console.log("|---|---|---|---|---|");
  for (const [name, walls] of samples) {
    const paired = median(walls.map((w, i) => (base[i] ?? Number.NaN) / w));
    console.log(
      `| ${name} | ${rate(median(walls)).toFixed(0)} | ${ratio(median(base), median(walls))} | ` +
        `${paired.toFixed(2)}x | ${walls.map((w) => rate(w).toFixed(0)).join(", ")} |`,
    );
  }
  // Client, proxy and upstream share this one thread, so the difference in time per request is
  // what the proxy itself costs: the HTTP server and client it adds, and its decision.
  const perRequestUs = (median(samples.get(PROXY) ?? []) - median(base)) / PAR_ROUNDS / 1e-3;
  console.log(
    `
the proxy's own CPU per request: ${perRequestUs.toFixed(1)} µs of one core ` +
      `(${(1e6 / perRequestUs).toFixed(0)} requests/s per core for the proxy alone)`,
  );
}

/** The request measures' schedule, the same for plain HTTP and HTTPS so their rows compare. */
const REQUEST_SCHEDULE = {
  warmupRounds: WARMUP,
  seqRounds: SEQ_ROUNDS,
  seqBatch: SEQ_BATCH,
  parBatches: PAR_BATCHES,
  parRounds: PAR_ROUNDS,
  parInFlight: CLIENTS,
};

async function main(): Promise<void> {
  const loadAtStart = load();
  const endpoints = await startEndpoints();
  try {
    const { ways, agents } = requestWays(endpoints);
    const requests = await runSchedule(ways, REQUEST_SCHEDULE);
    for (const agent of agents) agent.destroy();

    const tunnel = await tunnelWays(endpoints);
    const echoes = await runSchedule(tunnel.echoWays, sequential(ECHO_ROUNDS, SEQ_BATCH));
    tunnel.close();
    const opens = await runSchedule(tunnel.openWays, sequential(OPEN_ROUNDS, Math.min(SEQ_BATCH, 100)));

    console.log(`\nopenshell egress proxy vs direct (Node ${process.version}, loopback, one process)\n`);
    console.log(`load average (1, 5, 15 min): ${loadAtStart} at the start, ${load()} at the end`);
    latencyTable(
      `Sequential GET (one keep-alive connection), ${SEQ_ROUNDS} requests per way`,
      requests.sequential,
      "request",
    );
    throughputTable(requests.parallel);
    latencyTable(
      `CONNECT tunnel: ${MESSAGE.length}-byte echo round trip, ${ECHO_ROUNDS} per way`,
      echoes.sequential,
      "rtt",
    );
    latencyTable(
      `Connection setup: TCP connect vs CONNECT to 200 (decide, resolve, dial), ${OPEN_ROUNDS} per way`,
      opens.sequential,
      "open",
    );
    console.log(`\nproxy decisions reported: ${endpoints.events.total}, denied: ${endpoints.events.denied}`);
  } finally {
    await endpoints.close();
  }

  const secure = await startHttpsEndpoints();
  try {
    const { ways, agents } = httpsWays(secure);
    const requests = await runSchedule(ways, REQUEST_SCHEDULE);
    for (const agent of agents) agent.destroy();
    const opens = await runSchedule(
      httpsOpenWays(secure),
      sequential(OPEN_ROUNDS / 2, Math.min(SEQ_BATCH, 50)),
    );
    console.log(
      `\nHTTPS: TLS terminated by the proxy (egress CA) and made again to the upstream, vs direct HTTPS`,
    );
    latencyTable(
      `Sequential HTTPS GET (one keep-alive TLS connection), ${SEQ_ROUNDS} requests per way`,
      requests.sequential,
      "request",
    );
    throughputTable(requests.parallel, "HTTPS requests");
    latencyTable(
      `HTTPS connection setup: TLS handshake vs CONNECT + handshake with the proxy, then one GET, ${OPEN_ROUNDS / 2} per way`,
      opens.sequential,
      "open",
    );
    console.log(`\nproxy decisions reported: ${secure.events.total}, denied: ${secure.events.denied}`);
  } finally {
    await secure.close();
  }

  await credentialRows({
    warmup: WARMUP,
    seqRounds: SEQ_ROUNDS,
    seqBatch: SEQ_BATCH,
    // Three ways of HTTPS: fewer, smaller batches keep the run about as long as before.
    parRounds: PAR_ROUNDS / 2,
    parBatches: Math.max(2, PAR_BATCHES / 2),
    clients: CLIENTS,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
