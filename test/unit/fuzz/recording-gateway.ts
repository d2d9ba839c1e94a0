import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Http2Server, type Http2Session } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Message, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { OpenShell } from "../../../src/client/open-shell.js";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import {
  OpenShell as OpenShellService,
  SandboxPhase,
  type SandboxSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";

/** The id every sandbox of the recording gateway has. */
export const SANDBOX_ID = "00000000-0000-4000-8000-000000000001";

export interface RecordedRequest {
  /** The method's name as in the proto (`CreateSandbox`). */
  method: string;
  /** The request (the first message of a client stream). */
  message: Message;
}

export interface RecordingGateway {
  /** HTTP/2 streams the server saw: every request that left the client, whatever it was. */
  readonly streams: () => number;
  /** Streams the client cancelled (RST_STREAM) before the server had ended them. */
  readonly resets: () => number;
  /** The requests the handlers decoded, oldest first. */
  readonly requests: RecordedRequest[];
  /** The message of request number `index` (as `requests.length` was before the call); throws when none. */
  sent<T>(index: number): T;
  /** Makes the next calls of `method` fail with this error instead of answering (a hostile gateway). */
  failWith(method: string, error: ConnectError | undefined): void;
  /** A client of this gateway, with no config files or env of this machine in play. */
  client(): Promise<OpenShell>;
  close(): Promise<void>;
}

/**
 * An OpenShell gateway on loopback over real HTTP/2 that answers every call the curated client
 * makes with a small valid reply and records what it received. It counts the HTTP/2 streams it
 * sees, so a test proves that nothing was sent for an input the SDK rejected.
 */
export async function startRecordingGateway(
  options: {
    /** `false`: an interactive exec ends after its start frame, reading nothing more (default true). */
    interactiveReadsInput?: boolean;
    /** Time between an exec's exit event and the end of its call (its trailers). Default 0. */
    trailersDelayMs?: number;
  } = {},
): Promise<RecordingGateway> {
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, ConnectError>();
  let streams = 0;
  const home = await mkdtemp(join(tmpdir(), "openshell-fuzz-home-"));

  const sandbox = (name: string): MessageInitShape<typeof SandboxSchema> => ({
    metadata: { id: SANDBOX_ID, name: name || "generated", workspace: "default", resourceVersion: 1n },
    status: { sandboxName: name, phase: SandboxPhase.PROVISIONING },
  });
  const record: Interceptor = (next) => async (req) => {
    if (!req.stream) requests.push({ method: req.method.name, message: req.message });
    const failure = failures.get(req.method.name);
    if (failure) throw failure;
    return next(req);
  };

  const handler = connectNodeAdapter({
    interceptors: [record],
    routes(router) {
      router.service(OpenShellService, {
        health: () => ({ status: 1, version: "recording" }),
        createSandbox: (req) => ({ sandbox: sandbox(req.name) }),
        getSandbox: (req) => ({ sandbox: sandbox(req.name) }),
        listSandboxes: () => ({ sandboxes: [] }),
        deleteSandbox: () => ({ deleted: true }),
        // Server-streaming requests reach interceptors as streams: recorded here instead.
        async *watchSandbox(req) {
          requests.push({ method: "WatchSandbox", message: req });
          yield { payload: { case: "sandbox", value: sandbox("watched") } };
        },
        async *execSandbox(req) {
          requests.push({ method: "ExecSandbox", message: req });
          yield { payload: { case: "exit", value: { exitCode: 0 } } };
          if (options.trailersDelayMs) await sleep(options.trailersDelayMs);
        },
        async *execSandboxInteractive(inputs) {
          // Every frame is recorded; the command "exits" when the client closes stdin, or at once
          // after the start frame when the gateway plays a command that reads no input.
          for await (const input of inputs) {
            requests.push({ method: "ExecSandboxInteractive", message: input });
            if (options.interactiveReadsInput === false) break;
          }
          yield { payload: { case: "exit", value: { exitCode: 0 } } };
          if (options.trailersDelayMs) await sleep(options.trailersDelayMs);
        },
        getSandboxLogs: () => ({ logs: [] }),
        // Credentials are write-only: the reply carries the provider without them.
        createProvider: (req) => ({
          provider: { metadata: req.provider?.metadata, type: req.provider?.type },
        }),
        updateProvider: (req) => ({
          provider: { metadata: req.provider?.metadata, type: req.provider?.type },
        }),
        getSandboxConfig: () => ({ policy: {}, version: 1 }),
        updateConfig: () => ({ version: 2, policyHash: "h" }),
        getSandboxPolicyStatus: (req) => ({
          revision: { version: req.version || 2, status: 2 },
          activeVersion: 2,
        }),
      });
      router.service(Inference, {
        setInferenceRoute: (req) => ({
          routeName: req.routeName,
          providerName: req.providerName,
          modelId: req.modelId,
          version: 1n,
        }),
      });
    },
  });

  const server: Http2Server = createServer(handler);
  const sessions = new Set<Http2Session>();
  let resets = 0;
  server.on("stream", (stream) => {
    streams += 1;
    stream.once("close", () => {
      if (stream.rstCode !== 0) resets += 1;
    });
  });
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    streams: () => streams,
    resets: () => resets,
    requests,
    sent<T>(index: number): T {
      const request = requests[index];
      if (request === undefined) throw new Error(`no request number ${index} was recorded`);
      return request.message as T;
    },
    failWith(method, error) {
      if (error) failures.set(method, error);
      else failures.delete(method);
    },
    client: () =>
      OpenShell.connect({
        endpoint: `http://127.0.0.1:${port}`,
        env: {},
        homeDir: home,
        retry: false,
      }),
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A gateway error whose message quotes `text` (the way a careless gateway might quote a value). */
export function quotingError(text: string): ConnectError {
  return new ConnectError(`rejected value ${text}`, Code.InvalidArgument);
}
