import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Http2Server, type Http2Session } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type Client, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { CanceledError, ContainerRuntimeError, NotFoundError } from "../../../src/errors.js";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell, SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { compileEgressPolicy } from "../../../src/local/egress/egress-policy.js";
import { gatewayRoutes } from "../../../src/local/gateway-routes.js";
import { gatewayErrorInterceptor } from "../../../src/local/protocol/gateway-error-interceptor.js";
import { unimplementedMethod } from "../../../src/local/protocol/unimplemented-method.js";
import type { SandboxManager } from "../../../src/local/sandboxes/sandbox-manager.js";
import { LocalStateStore } from "../../../src/local/state/state-store.js";
import { CAPABILITIES } from "../../../src/runtime/capabilities.js";
import type { ContainerInfo } from "../../../src/runtime/container-info.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import type { ContainerSpec } from "../../../src/runtime/container-spec.js";
import type { ExecProcess, ExecSpec, OutputChunk } from "../../../src/runtime/exec-types.js";
import type { ImageInfo } from "../../../src/runtime/image-types.js";
import type { LogLine, LogOptions } from "../../../src/runtime/log-types.js";

const NETWORK = "openshell-fuzz";

/** How long every exec of the double runs: long enough for a timer that fires too early to show. */
export const EXEC_MS = 30;

/** Images whose name says so are missing; every other image exists and runs as `sandbox` (1000). */
const MISSING_IMAGE = /missing/;

const accounts =
  "root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000::/sandbox:/bin/sh\nroot:x:0:\nsandbox:x:1000:\n";

interface FakeContainer {
  spec: ContainerSpec;
  running: boolean;
}

/**
 * A container runtime in memory, for driving the local gateway's handlers without an engine:
 * containers start and run, execs print `ok` and exit 0 after {@link EXEC_MS}, log streams follow
 * until aborted, and an image account probe reads a passwd with a non-root `sandbox` user (and finds
 * no policy file in the image). Calls
 * it does not model fail as a runtime error naming the call (UNAVAILABLE on the wire), and are
 * counted in `unmodelled`, so a test can insist they never happen.
 */
export function runtimeDouble(): { runtime: ContainerRuntime; unmodelled: string[] } {
  const containers = new Map<string, FakeContainer>();
  const unmodelled: string[] = [];
  const find = (id: string): FakeContainer => {
    const c = containers.get(id);
    if (!c) throw new NotFoundError(`no such container: ${id}`);
    return c;
  };
  const image = (ref: string): ImageInfo => {
    if (MISSING_IMAGE.test(ref)) throw new NotFoundError(`no such image: ${ref}`);
    return {
      id: "sha256:fuzz",
      tags: [ref],
      os: "linux",
      architecture: "amd64",
      sizeBytes: 1,
      labels: {},
      user: "sandbox",
      workdir: "/sandbox",
      entrypoint: [],
      cmd: [],
      env: [],
      repoDigests: [],
    };
  };
  const modelled = {
    kind: "docker" as const,
    endpoint: "memory://runtime-double",
    capabilities: new Set(CAPABILITIES),
    sessionId: "fuzz",
    sessionLabels: {},
    require() {},
    async inspectImage(ref: string) {
      return image(ref);
    },
    async pullImage(ref: string) {
      return image(ref);
    },
    async createContainer(spec: ContainerSpec) {
      const id = randomBytes(32).toString("hex");
      containers.set(id, { spec, running: false });
      return { id, name: spec.name ?? id.slice(0, 12) };
    },
    async startContainer(id: string) {
      find(id).running = true;
    },
    async stopContainer(id: string) {
      find(id).running = false;
    },
    async killContainer(id: string) {
      find(id).running = false;
    },
    async removeContainer(id: string) {
      containers.delete(id);
    },
    async waitContainer(id: string) {
      find(id).running = false;
      return 0;
    },
    async inspectContainer(id: string): Promise<ContainerInfo> {
      const c = find(id);
      return {
        id,
        name: c.spec.name ?? id,
        image: c.spec.image,
        labels: { ...c.spec.labels },
        state: c.running ? "running" : "exited",
        running: c.running,
        exitCode: c.running ? null : 0,
        oomKilled: false,
        startedAt: new Date(),
        finishedAt: c.running ? null : new Date(),
        addresses: [{ network: NETWORK, ipv4: "127.0.0.1" }],
        ports: [],
      };
    },
    async listContainers(options: { labels?: Readonly<Record<string, string>> } = {}) {
      return [...containers.entries()]
        .filter(([, c]) => Object.entries(options.labels ?? {}).every(([k, v]) => c.spec.labels?.[k] === v))
        .map(([id, c]) => ({
          id,
          name: c.spec.name ?? id,
          image: c.spec.image,
          labels: { ...c.spec.labels },
          state: c.running ? ("running" as const) : ("exited" as const),
        }));
    },
    logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
      const c = containers.get(id);
      return (async function* () {
        if (!options.follow) {
          // The account probe's `cat /etc/passwd /etc/group`.
          if (c) for (const text of accounts.split(/(?<=\n)/)) yield { stream: "stdout" as const, text };
          return;
        }
        await new Promise<void>((resolve) => {
          if (options.signal?.aborted) resolve();
          options.signal?.addEventListener("abort", () => resolve(), { once: true });
        });
      })();
    },
    // The image carries no policy file: the probe of a sandbox created without a policy finds none.
    async getArchive(id: string, options: { path: string }): Promise<never> {
      find(id);
      throw new NotFoundError(`no such file in the container: ${options.path}`);
    },
    async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
      find(id);
      let exited: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        exited = resolve;
      });
      const output = (async function* (): AsyncGenerator<OutputChunk> {
        try {
          await sleep(EXEC_MS, undefined, spec.signal ? { signal: spec.signal } : undefined);
        } catch {
          throw new CanceledError("exec canceled");
        }
        yield { stream: "stdout", data: Buffer.from("ok\n") };
        exited();
      })();
      return {
        id: randomBytes(8).toString("hex"),
        output,
        stdin: spec.stdin ? new Writable({ write: (_chunk, _enc, callback) => callback() }) : null,
        resize: async () => {},
        wait: async () => {
          await done;
          return { exitCode: 0 };
        },
      };
    },
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
  const runtime = new Proxy(modelled, {
    get(target, property, receiver) {
      if (property in target) return Reflect.get(target, property, receiver);
      if (typeof property === "symbol" || property === "then") return undefined;
      return async () => {
        unmodelled.push(property);
        throw new ContainerRuntimeError(`the runtime double does not model ${property}`, {
          runtime: "docker",
        });
      };
    },
  }) as unknown as ContainerRuntime;
  return { runtime, unmodelled };
}

export interface EnginelessGateway {
  endpoint: string;
  port: number;
  openshell: Client<typeof OpenShell>;
  inference: Client<typeof Inference>;
  sandboxes: SandboxManager;
  /** Runtime calls the double does not model (should stay empty). */
  unmodelled: string[];
  /** A READY sandbox's id and name, for calls that need one to get past the lookup. */
  readonly ready: { id: string; name: string };
  /** Makes a new READY sandbox when a fuzzed call deleted or stopped the last one. */
  ensureReady(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The local gateway's real routes (every Connect handler, the error interceptor, the answer for
 * unknown methods, as `LocalGateway.nodeHandler()` puts them together), over a real state store and
 * the runtime double, served on loopback over plaintext HTTP/2; with a raw gRPC client of it.
 */
export async function startEnginelessGateway(): Promise<EnginelessGateway> {
  const dir = await mkdtemp(join(tmpdir(), "openshell-fuzz-gateway-"));
  const store = LocalStateStore.open(join(dir, "state"));
  const { runtime, unmodelled } = runtimeDouble();
  let url = new URL("http://127.0.0.1:0");
  const { routes, sandboxes } = gatewayRoutes({
    runtime,
    runtimeVersion: "double",
    store,
    network: NETWORK,
    gatewayLabels: { "openshell.ai/gateway": "fuzz" },
    endpoint: () => url,
    checkPolicy: (policy) => void compileEgressPolicy(policy.networkPolicies),
  });
  const handler = connectNodeAdapter({
    routes,
    interceptors: [gatewayErrorInterceptor()],
    fallback: unimplementedMethod,
  });
  const server: Http2Server = createServer(handler);
  const sessions = new Set<Http2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  url = new URL(`http://127.0.0.1:${port}`);
  const transport = createGrpcTransport({ baseUrl: url.origin });
  const openshell = createClient(OpenShell, transport);
  const inference = createClient(Inference, transport);

  let serial = 0;
  const makeReady = async () => {
    serial += 1;
    const name = `ready-${serial}`;
    const created = await openshell.createSandbox({
      name,
      spec: { template: { image: "fuzz/agent:1" }, command: ["sleep", "infinity"] },
    });
    for (let i = 0; ; i++) {
      const { sandbox } = await openshell.getSandbox({ name });
      if (sandbox?.status?.phase === SandboxPhase.READY) break;
      if (i > 500) throw new Error(`sandbox ${name} never became READY: ${JSON.stringify(sandbox?.status)}`);
      await sleep(10);
    }
    return { id: created.sandbox?.metadata?.id ?? "", name };
  };
  let ready = await makeReady();

  return {
    endpoint: url.origin,
    port,
    openshell,
    inference,
    sandboxes,
    unmodelled,
    get ready() {
      return ready;
    },
    async ensureReady() {
      const current = await openshell.getSandbox({ name: ready.name }).catch(() => undefined);
      if (current?.sandbox?.status?.phase !== SandboxPhase.READY) ready = await makeReady();
    },
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandboxes.close();
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
