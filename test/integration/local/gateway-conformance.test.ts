import { connect as http2Connect, type IncomingHttpHeaders } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExecSandboxEvent,
  ExecSandboxInputSchema,
  HealthRequestSchema,
  OpenShell as OpenShellService,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { OpenShell } from "../../../src/index.js";
import type { LocalListener } from "../../../src/local/local-gateway.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

type Raw = Client<typeof OpenShellService>;

/** The gRPC code name a call ends with ("OK" when it succeeds), and the message when it fails. */
async function outcome(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}

/** Reads a server stream to its end (or its error). */
async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of stream) seen.push(item);
  return seen;
}

/** An exec's events as a user sees them: what went to stdout and stderr, and the exit code. */
function execResult(events: ExecSandboxEvent[]) {
  let stdout = "";
  let stderr = "";
  let exitCode: number | undefined;
  for (const { payload } of events) {
    if (payload.case === "stdout") stdout += Buffer.from(payload.value.data).toString("utf8");
    else if (payload.case === "stderr") stderr += Buffer.from(payload.value.data).toString("utf8");
    else if (payload.case === "exit") exitCode = payload.value.exitCode;
  }
  return { stdout, stderr, exitCode };
}

/** One HTTP/2 request over mTLS to the listener: the response headers (trailers-only included) and body. */
async function http2Request(
  listener: LocalListener,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; body: Buffer }> {
  const { certificates } = listener;
  const session = http2Connect(listener.endpoint, {
    ca: certificates.ca,
    cert: certificates.client.cert,
    key: certificates.client.key,
  });
  try {
    return await new Promise((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({ ":method": "POST", ":path": path, ...headers });
      let responseHeaders: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        responseHeaders = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

/** A gRPC message frame: flag byte 0, 4-byte big-endian length, payload (here empty: a default request). */
const emptyGrpcFrame = Buffer.from([0, 0, 0, 0, 0]);

/**
 * The local gateway as an independent gRPC client sees it, over the wire and in-process: unknown
 * methods are UNIMPLEMENTED the gRPC way, an empty required field is INVALID_ARGUMENT naming it, and
 * exec reports a command that cannot run the way a shell does (127 not found, 126 not executable).
 */
describe.each<LocalKind>(["docker", "podman"])("the local gateway's protocol on %s", (kind) => {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;
  let listener: LocalListener;
  let inProcess: Raw;
  let overWire: Raw;
  let sandboxId: string;

  beforeAll(async () => {
    os = await OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    const gateway = os.localGateway;
    if (gateway === undefined) throw new Error("OpenShell.local() has no localGateway");
    listener = await gateway.listen();
    inProcess = createClient(OpenShellService, gateway.transport());
    overWire = createClient(
      OpenShellService,
      createGrpcTransport({
        baseUrl: listener.endpoint,
        nodeOptions: {
          ca: listener.certificates.ca,
          cert: listener.certificates.client.cert,
          key: listener.certificates.client.key,
        },
      }),
    );
    const sb = await os.sandboxes.create({
      name: uniqueName("proto"),
      image: testImages.sandbox,
      command: IDLE,
    });
    await sb.ready({ timeoutMs: 30_000 });
    sandboxId = sb.info?.id ?? "";
  });
  afterAll(async () => {
    await listener?.close();
    await os?.close();
  });

  describe("a path no service of it declares", () => {
    it("is HTTP 200 with grpc-status 12 (UNIMPLEMENTED) naming the method, for a gRPC client", async () => {
      for (const path of ["/openshell.v1.OpenShell/NoSuchMethod", "/grpc.health.v1.Health/Check"]) {
        const res = await http2Request(
          listener,
          path,
          { "content-type": "application/grpc", te: "trailers" },
          emptyGrpcFrame,
        );
        expect(res.headers[":status"]).toBe(200);
        expect(String(res.headers["content-type"])).toMatch(/^application\/grpc/);
        const status = res.headers["grpc-status"] ?? res.trailers["grpc-status"];
        const message = decodeURIComponent(
          String(res.headers["grpc-message"] ?? res.trailers["grpc-message"]),
        );
        expect(status).toBe("12");
        expect(message).toContain(path.slice(1));
      }
    });

    it("is grpc-status 12 for gRPC-web too, and Connect's 404 unimplemented for a Connect client", async () => {
      const web = await http2Request(
        listener,
        "/openshell.v1.OpenShell/NoSuchMethod",
        { "content-type": "application/grpc-web+proto" },
        emptyGrpcFrame,
      );
      expect(web.headers[":status"]).toBe(200);
      expect(web.headers["grpc-status"]).toBe("12");

      const connect = await http2Request(
        listener,
        "/openshell.v1.OpenShell/NoSuchMethod",
        { "content-type": "application/json", "connect-protocol-version": "1" },
        Buffer.from("{}"),
      );
      expect(connect.headers[":status"]).toBe(404);
      const error = JSON.parse(connect.body.toString("utf8")) as { code: string; message: string };
      expect(error.code).toBe("unimplemented");
      expect(error.message).toContain("openshell.v1.OpenShell/NoSuchMethod");
    });

    it("is UNIMPLEMENTED naming the method in-process as well", async () => {
      const gateway = os.localGateway;
      if (gateway === undefined) throw new Error("no localGateway");
      const transport = gateway.transport();
      const res = await outcome(
        transport.unary(
          { ...OpenShellService.method.health, name: "NoSuchMethod", parent: OpenShellService } as never,
          undefined,
          undefined,
          undefined,
          create(HealthRequestSchema),
          undefined,
        ),
      );
      expect(res.code).toBe("Unimplemented");
      expect(res.message).toContain("NoSuchMethod");
    });
  });

  describe("an empty required field", () => {
    const cases: [string, (c: Raw) => Promise<unknown>, string][] = [
      ["GetSandbox name", (c) => c.getSandbox({}), "name is required"],
      ["DeleteSandbox name", (c) => c.deleteSandbox({}), "name is required"],
      ["StopSandbox name", (c) => c.stopSandbox({}), "name is required"],
      ["StartSandbox name", (c) => c.startSandbox({}), "name is required"],
      ["WatchSandbox id", (c) => drain(c.watchSandbox({})), "id is required"],
      [
        "ExecSandbox sandbox_id",
        (c) => drain(c.execSandbox({ command: ["true"] })),
        "sandbox_id is required",
      ],
      [
        "ExecSandboxInteractive start.sandbox_id",
        (c) =>
          drain(
            c.execSandboxInteractive(
              (async function* () {
                yield create(ExecSandboxInputSchema, {
                  payload: { case: "start", value: { command: ["true"] } },
                });
              })(),
            ),
          ),
        "sandbox_id is required",
      ],
      ["GetSandboxLogs sandbox_id", (c) => c.getSandboxLogs({}), "sandbox_id is required"],
      ["GetProvider name", (c) => c.getProvider({}), "name is required"],
      ["DeleteProvider name", (c) => c.deleteProvider({}), "name is required"],
      [
        "AttachSandboxProvider provider_name",
        (c) => c.attachSandboxProvider({ sandboxName: "some-sandbox" }),
        "provider_name is required",
      ],
      [
        "AttachSandboxProvider sandbox_name",
        (c) => c.attachSandboxProvider({ providerName: "some-provider" }),
        "sandbox_name is required",
      ],
      [
        "DetachSandboxProvider provider_name",
        (c) => c.detachSandboxProvider({ sandboxName: "some-sandbox" }),
        "provider_name is required",
      ],
      [
        "DetachSandboxProvider sandbox_name",
        (c) => c.detachSandboxProvider({ providerName: "some-provider" }),
        "sandbox_name is required",
      ],
      ["ListSandboxProviders sandbox_name", (c) => c.listSandboxProviders({}), "sandbox_name is required"],
      ["GetSandboxConfig sandbox_id", (c) => c.getSandboxConfig({}), "sandbox_id is required"],
      ["UpdateConfig name", (c) => c.updateConfig({ policy: {} }), "name is required"],
      ["GetSandboxPolicyStatus name", (c) => c.getSandboxPolicyStatus({}), "name is required"],
      ["ListSandboxPolicies name", (c) => c.listSandboxPolicies({}), "name is required"],
    ];

    it.each(cases)(
      "%s is INVALID_ARGUMENT naming the field, in-process and over mTLS",
      async (_, call, message) => {
        for (const client of [inProcess, overWire]) {
          expect(await outcome(call(client))).toEqual({ code: "InvalidArgument", message });
        }
      },
    );

    it("ExecSandbox names the empty command once the sandbox id is there", async () => {
      expect(await outcome(drain(overWire.execSandbox({ sandboxId })))).toEqual({
        code: "InvalidArgument",
        message: "command is required",
      });
    });
  });

  describe("exec of a command that cannot run", () => {
    const exec = async (command: string[]) =>
      execResult(await drain(overWire.execSandbox({ sandboxId, command, timeoutSeconds: 30 })));

    it("is exit 127 with the shell's message on stderr when the command is not found", async () => {
      const result = await exec(["no-such-command-h8"]);
      expect(result.exitCode).toBe(127);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/no-such-command-h8.*not found/);
      expect(result.stderr).not.toMatch(/OCI runtime/);
    });

    it("is exit 126 with a message on stderr when the file is not executable", async () => {
      const made = await exec([
        "sh",
        "-c",
        "printf '#!/bin/sh\\necho ran\\n' > /tmp/not-exec && chmod 644 /tmp/not-exec",
      ]);
      expect(made).toMatchObject({ exitCode: 0, stderr: "" });
      const result = await exec(["/tmp/not-exec"]);
      expect(result.exitCode).toBe(126);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/\/tmp\/not-exec.*[Pp]ermission denied/);
      expect(result.stderr).not.toMatch(/OCI runtime/);
    });

    it("still passes every argument through as it is, and the command's own exit code", async () => {
      const result = await exec(["printf", "%s|", "a b", "$HOME", "'q'", "*", ""]);
      expect(result).toEqual({ stdout: "a b|$HOME|'q'|*||", stderr: "", exitCode: 0 });
      expect(await exec(["sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({
        stdout: "out\n",
        stderr: "err\n",
        exitCode: 3,
      });
    });
  });
});
