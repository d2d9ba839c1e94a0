/**
 * Requests timed from inside the sandbox by curl itself (`-w`), so neither the exec that starts the
 * loop nor curl's own start-up counts: each line is one transfer's connect time to the egress proxy
 * and its time to first byte (the proxy's decision, its dial of the upstream over its keep-alive
 * pool, the upstream's answer). Every answer must be the test server's 200, or the run stops.
 */
import type { Sandbox } from "../../src/index.js";

/** One transfer as curl timed it, in ms from the transfer's start. */
export interface Transfer {
  /** Connections curl opened for it: 1 for a new one, 0 when it reused the last. */
  connects: number;
  /** TCP connect to the proxy (0 on a reused connection). */
  connect: number;
  /** First byte of the answer. */
  ttfb: number;
}

const FORMAT = "%{num_connects} %{time_connect} %{time_starttransfer} %{http_code}\\n";

/** Shell-quoted for the `sh -c` line (the URLs are the bench's own: no quotes in them). */
const q = (s: string) => `'${s}'`;

function parse(stdout: string, expected: number, what: string): Transfer[] {
  const lines = stdout.trim().split("\n");
  const transfers = lines.map((line) => {
    const [connects, connect, ttfb, code] = line.split(" ");
    if (code !== "200") throw new Error(`${what}: expected 200 from the test server, curl said ${line}`);
    return { connects: Number(connects), connect: Number(connect) * 1000, ttfb: Number(ttfb) * 1000 };
  });
  if (transfers.length !== expected)
    throw new Error(`${what}: expected ${expected} transfers, got ${JSON.stringify(stdout)}`);
  return transfers;
}

async function run(sb: Sandbox, script: string, expected: number, what: string): Promise<Transfer[]> {
  const result = await sb.exec(["sh", "-c", script]);
  if (result.exitCode !== 0)
    throw new Error(`${what}: exit ${result.exitCode}: ${result.stdout}${result.stderr}`);
  return parse(result.stdout, expected, what);
}

/**
 * `count` requests to `url`, each by a curl process of its own: one new connection per request,
 * through a CONNECT tunnel when `tunnel` (`curl -p`: the proxy decides at the CONNECT).
 */
export function newConnections(sb: Sandbox, url: string, count: number, tunnel = false): Promise<Transfer[]> {
  const curl = `curl -sS${tunnel ? " -p" : ""} -o /dev/null -w ${q(FORMAT)} ${q(url)}`;
  const script = `for i in $(seq ${count}); do ${curl} || exit 1; done`;
  return run(sb, script, count, `${count} curls${tunnel ? " -p" : ""} to ${url}`);
}

/**
 * `count` requests to `url` by one curl over one kept-alive connection to the proxy; the run stops
 * if curl opened any connection after the first (then the case would not measure what it says).
 */
export async function oneConnection(sb: Sandbox, url: string, count: number): Promise<Transfer[]> {
  const targets = Array.from({ length: count }, (_, i) => `-o /dev/null ${q(`${url}?i=${i}`)}`).join(" ");
  const what = `one curl, ${count} requests to ${url}`;
  const transfers = await run(sb, `curl -sS -w ${q(FORMAT)} ${targets}`, count, what);
  const opened = transfers.map((t) => t.connects);
  if (opened[0] !== 1 || opened.slice(1).some((n) => n !== 0))
    throw new Error(`${what}: curl did not keep one connection (connections per transfer: ${opened})`);
  return transfers;
}

/**
 * Lines in the sandbox's IPv4 TCP table (the one the gateway reads per lookup), header excluded:
 * its connections, including those in TIME_WAIT for a minute after each curl before.
 */
export async function tcpTableEntries(sb: Sandbox): Promise<number> {
  const result = await sb.exec(["sh", "-c", "tail -n +2 /proc/net/tcp | wc -l"]);
  const entries = Number(result.stdout.trim());
  if (result.exitCode !== 0 || !Number.isInteger(entries))
    throw new Error(
      `counting the sandbox's TCP table: exit ${result.exitCode}: ${result.stdout}${result.stderr}`,
    );
  return entries;
}
