import { createServer } from "node:net";
import { sleep } from "../../timing/sleep.js";

/** A listener that may come up later, once this host holds the address it listens on. */
export interface PendingListener<T> {
  /** The listener once it is up; undefined when {@link stop} came first. */
  readonly ready: Promise<T | undefined>;
  /** Whether it is up by now. */
  readonly current: T | undefined;
  /** Stops trying; a listener already up is the caller's to close. */
  stop(): void;
}

export interface ListenWhenAddressUpOptions<T> {
  /** Listens on the address; rejects with EADDRNOTAVAIL while this host does not hold it. */
  listen: () => Promise<T>;
  /** The first wait between tries, doubled up to {@link maxIntervalMs}. Default 100 ms. */
  intervalMs?: number;
  /** Default 2 s: a sandbox's first connection waits at most this long after its address appears. */
  maxIntervalMs?: number;
  /** Told each failure other than EADDRNOTAVAIL (which is expected), before the next try. */
  onError?: (error: Error) => void;
}

/**
 * Keeps trying to listen until the address is there. Apple `container`'s networks get their host
 * side from vmnet, which may put the gateway address on this host only once the first container
 * joins the network: until then the egress proxy cannot listen there, and sandboxes that start later
 * must still find it.
 */
export function listenWhenAddressUp<T>(options: ListenWhenAddressUpOptions<T>): PendingListener<T> {
  const stopped = new AbortController();
  let current: T | undefined;
  const ready = (async () => {
    let wait = options.intervalMs ?? 100;
    const max = options.maxIntervalMs ?? 2000;
    while (!stopped.signal.aborted) {
      try {
        current = await options.listen();
        return current;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL") options.onError?.(error as Error);
      }
      await sleep(wait, stopped.signal);
      wait = Math.min(wait * 2, max);
    }
    return undefined;
  })();
  return {
    ready,
    get current() {
      return current;
    },
    stop: () => stopped.abort(),
  };
}

/** A TCP port free on loopback now: where a listener that cannot listen yet will listen later. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}
