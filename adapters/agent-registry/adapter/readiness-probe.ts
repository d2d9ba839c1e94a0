import { CanceledError, type Sandbox } from "openshell";
import { pause } from "./pause.js";

/** What answered the probe. */
export interface ProbeAnswer {
  /** The HTTP status the agent answered with. */
  status: number;
  /** For A2A, the name and version on its agent card. */
  card?: { name: string; version?: string };
}

/** What to probe and for how long. */
export interface ProbeRequest {
  sandbox: Pick<Sandbox, "name" | "forward">;
  port: number;
  protocol: "A2A" | "HTTP";
  /** The path to request: the agent card for A2A, `healthPath` (default `/`) for HTTP. */
  path: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Why the agent did not answer in time (the last thing seen). */
export class ProbeTimeout extends Error {}

const RETRY_MS = 100;
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Waits until the agent answers a real request on its port inside the sandbox. A TCP connect
 * through a forward proves nothing (the forward accepts locally whatever listens inside), so this
 * sends an HTTP request through one forward, again every 100 ms: for A2A the agent card must come
 * back as JSON with a name; for HTTP any answer below 500 shows a server that handles requests.
 *
 * @throws ProbeTimeout after `timeoutMs`, saying what the last attempt saw.
 * @throws CanceledError when `signal` fires.
 */
export async function probeAgent(request: ProbeRequest): Promise<ProbeAnswer> {
  const { sandbox, port, protocol, path, signal } = request;
  const forward = await sandbox.forward({ port, signal });
  const deadline = Date.now() + request.timeoutMs;
  let last = "no attempt finished";
  try {
    for (;;) {
      if (signal.aborted) throw new CanceledError(`probing the agent in sandbox "${sandbox.name}": canceled`);
      const answer = await attempt(new URL(path, forward.url), protocol, signal).catch((err: unknown) => {
        if (signal.aborted)
          throw new CanceledError(`probing the agent in sandbox "${sandbox.name}": canceled`);
        return { failure: describe(err) };
      });
      if ("status" in answer) return answer;
      last = answer.failure;
      if (Date.now() + RETRY_MS > deadline) {
        throw new ProbeTimeout(
          `the agent did not answer on port ${port} within ${Math.round(request.timeoutMs / 1000)} s (last attempt: ${last})`,
        );
      }
      await pause(RETRY_MS, signal);
    }
  } finally {
    await forward.close();
  }
}

async function attempt(
  url: URL,
  protocol: "A2A" | "HTTP",
  signal: AbortSignal,
): Promise<ProbeAnswer | { failure: string }> {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  });
  const text = await response.text();
  if (protocol === "HTTP") {
    return response.status < 500
      ? { status: response.status }
      : { failure: `GET ${url.pathname} answered ${response.status}` };
  }
  if (!response.ok) return { failure: `GET ${url.pathname} answered ${response.status}, not an agent card` };
  let card: unknown;
  try {
    card = JSON.parse(text);
  } catch {
    return { failure: `GET ${url.pathname} answered ${response.status} with a body that is not JSON` };
  }
  const name = (card as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || name === "") {
    return { failure: `GET ${url.pathname} answered JSON without a card's "name"` };
  }
  const version = (card as { version?: unknown }).version;
  return { status: response.status, card: typeof version === "string" ? { name, version } : { name } };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code} (nothing accepted the connection inside the sandbox yet)`;
  return err instanceof Error ? err.message : String(err);
}
