import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenShell as Client } from "../../../src/client/open-shell.js";
import { OpenShell } from "../../../src/client/open-shell.js";
import type { CreateSandboxOptions } from "../../../src/client/sandboxes/create-sandbox-options.js";
import type { Sandbox } from "../../../src/client/sandboxes/sandbox.js";
import { GatewayConfigError, InvalidArgumentError } from "../../../src/errors.js";
import type {
  ExecSandboxInput,
  ListSandboxesRequest,
  UpdateConfigRequest,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { parseLabelSelector } from "../../../src/local/protocol/validation.js";
import { settle } from "./fuzz-support.js";
import { type RecordingGateway, startRecordingGateway } from "./recording-gateway.js";

/**
 * The shrunk counterexamples the fuzz properties found in the SDK, pinned: each failed before its
 * fix (the comment says how) and must keep passing whatever the random runs draw.
 */

async function rejection(call: () => Promise<unknown>): Promise<InvalidArgumentError> {
  const result = await settle(call);
  if (result.ok) throw new Error("expected a rejection, the call succeeded");
  if (!(result.error instanceof InvalidArgumentError)) throw result.error;
  return result.error;
}

describe("defects the fuzz found in the client's input checks", () => {
  let gateway: RecordingGateway;
  let os: Client;
  let sandbox: Sandbox;
  beforeAll(async () => {
    gateway = await startRecordingGateway();
    os = await gateway.client();
    sandbox = await os.sandboxes.get("fuzz");
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  /** Creates with `options` and returns the rejection, having checked that nothing was sent. */
  async function rejectedCreate(options: unknown): Promise<InvalidArgumentError> {
    const streams = gateway.streams();
    const error = await rejection(() => os.sandboxes.create(options as CreateSandboxOptions));
    expect(gateway.streams()).toBe(streams);
    return error;
  }

  // Was: accepted, and the entry silently dropped (zod skips an own "__proto__" key in records).
  it("an own __proto__ key in env is refused by name", async () => {
    const error = await rejectedCreate({ env: JSON.parse('{"__proto__":"x","A":"b"}') });
    expect(error.field).toBe("env.__proto__");
  });

  // Was: sent as U+FFFD (the wire's UTF-8 cannot carry an unpaired surrogate).
  it("an unpaired surrogate in an env value is refused by name", async () => {
    expect((await rejectedCreate({ env: { A: "x\ud800" } })).field).toBe("env.A");
  });

  // Was: sent as ["a", "b", "c"] (create() spreads a string given for a list).
  it("a string for a policy list is refused by path", async () => {
    const error = await rejectedCreate({ policy: { filesystem: { readOnly: "abc" } } });
    expect(error.field).toBe("policy.filesystem.readOnly");
  });

  // Was: a raw TypeError "Cannot read properties of null (reading '$typeName')".
  it("a null policy rule is refused by path", async () => {
    expect((await rejectedCreate({ policy: { networkPolicies: { a: null } } })).field).toBe(
      "policy.networkPolicies.a",
    );
  });

  // Was: a raw Error "cannot encode field openshell.sandbox.v1.SandboxPolicy.version to binary".
  it("a policy version that is not a number is refused by path", async () => {
    expect((await rejectedCreate({ policy: { version: "x" } })).field).toBe("policy.version");
  });

  // Was: accepted, and the misspelt field (with what it said) silently dropped.
  it("a misspelt policy field is refused, with the spelling it meant", async () => {
    const error = await rejectedCreate({ policy: { filesystem: { read_only: ["/usr"] } } });
    expect(error.field).toBe("policy.filesystem.read_only");
    expect(error.message).toContain("did you mean readOnly?");
  });

  // Was: a raw TypeError "Converting circular structure to JSON".
  it("a cyclic driverConfig is refused by path", async () => {
    const config: Record<string, unknown> = {};
    config.self = config;
    expect((await rejectedCreate({ driverConfig: config })).field).toBe("driverConfig.self");
  });

  // Was: field "sandbox" (the whole input), message `Unrecognized key: "nmae"`.
  it("an unknown option is named as the field", async () => {
    expect((await rejectedCreate({ nmae: "x" })).field).toBe("nmae");
  });

  // Was: the 300-character key copied whole into the message.
  it("a long key is shortened in the message", async () => {
    const error = await rejectedCreate({ labels: { [`${"k".repeat(300)},`]: "v" } });
    expect(error.message.length).toBeLessThan(400);
  });

  // Was: sent; the gateway's parser read the selector " =" as {"": ""}.
  it("a label that the list selector cannot carry is refused by name", async () => {
    const streams = gateway.streams();
    const error = await rejection(() => os.sandboxes.list({ labels: { " ": "" } }));
    expect(error.field).toBe("labels. ");
    expect(gateway.streams()).toBe(streams);
    const recorded = gateway.requests.length;
    await os.sandboxes.list({ labels: { "app.kubernetes.io/name": "web" } });
    const sent = gateway.sent<ListSandboxesRequest>(recorded);
    expect(Object.fromEntries(parseLabelSelector(sent.labelSelector))).toEqual({
      "app.kubernetes.io/name": "web",
    });
  });

  // Was: refused ("expected one of ""|"terminate"|"passthrough""), though SEMANTICS.md §15 has it.
  it('tls "skip" is a valid endpoint setting', async () => {
    const recorded = gateway.requests.length;
    await os.policy.update("fuzz", {
      networkPolicies: { a: { endpoints: [{ host: "x.example", port: 443, tls: "skip" }] } },
    });
    const index = gateway.requests.findIndex((r, i) => i >= recorded && r.method === "UpdateConfig");
    const sent = gateway.sent<UpdateConfigRequest>(index);
    expect(sent.policy?.networkPolicies.a?.endpoints[0]?.tls).toBe("skip");
  });

  // Was: accepted, and the misspelt `endpoint` (the rule's endpoints) silently dropped.
  it("a misspelt rule field is refused by path", async () => {
    const error = await rejection(() =>
      os.policy.update("fuzz", { networkPolicies: { a: { endpoint: [{ host: "x.example" }] } as never } }),
    );
    expect(error.field).toBe("networkPolicies.a.endpoint");
  });

  // Was: a raw TypeError (logSince.getTime is not a function) and a deadline of "[object Object] ms"
  // (watch checked only logTailLines and eventTail).
  it("watch options are checked, each named as the field", async () => {
    const watch = (options: unknown) => async () => {
      for await (const _ of os.sandboxes.watch("fuzz", options as never));
    };
    const streams = gateway.streams();
    expect((await rejection(watch({ logSince: "yesterday" }))).field).toBe("logSince");
    expect((await rejection(watch({ handshakeTimeoutMs: {} }))).field).toBe("handshakeTimeoutMs");
    expect((await rejection(watch({ eventTail: -1 }))).field).toBe("eventTail");
    // The handle's own watch, which knows its id: it too was not checked at all.
    const handleWatch = async () => {
      for await (const _ of sandbox.watch({ logSince: "yesterday" } as never));
    };
    expect((await rejection(handleWatch)).field).toBe("logSince");
    expect(gateway.streams()).toBe(streams);
  });

  // Was: TypeError "Cannot read properties of null (reading 'version')" / ('limit').
  it("policy status and revisions refuse null options by name", async () => {
    expect((await rejection(() => os.policy.status("fuzz", null as never))).field).toBe("status options");
    expect((await rejection(() => os.policy.revisions("fuzz", null as never))).field).toBe(
      "revisions options",
    );
  });

  // Was: TimeoutError "waiting for sandbox "fuzz" to be ready: gave up after x ms", after an id lookup.
  it("ready() and deleted() check their options before anything is sent", async () => {
    const streams = gateway.streams();
    expect((await rejection(() => sandbox.ready({ timeoutMs: "x" as never }))).field).toBe("timeoutMs");
    expect((await rejection(() => os.sandboxes.ready("fuzz", { timeoutMs: -1 }))).field).toBe("timeoutMs");
    expect((await rejection(() => os.sandboxes.deleted("fuzz", { signal: "now" as never }))).field).toBe(
      "signal",
    );
    expect(gateway.streams()).toBe(streams);
  });

  // Was: a raw Error "listen EADDRINUSE: address already in use 127.0.0.1:<port>".
  it("forward to a local port that is taken is refused naming localPort", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    try {
      const localPort = (holder.address() as AddressInfo).port;
      const error = await rejection(() => sandbox.forward({ port: 80, localPort }));
      expect(error.field).toBe("localPort");
      expect(error.message).toContain(String(localPort));
    } finally {
      holder.close();
    }
  });

  // Was: field "1".
  it("a bad exec argument is named command.<index>", async () => {
    expect((await rejection(() => sandbox.exec(["echo", 5 as unknown as string]))).field).toBe("command.1");
  });

  // Was: a raw TypeError "Cannot read properties of null (reading 'follow')".
  it("logs(null) is refused by name", async () => {
    const error = await rejection(async () => sandbox.logs(null as never));
    expect(error.field).toBe("logs options");
  });

  // Was: write() resolved, and the stream then failed in serialization (INTERNAL "serialize binary");
  // write("") sent an empty stdin frame, which the local gateway reads as end of input.
  it("execInteractive's write refuses what is not text or bytes, and sends nothing for an empty write", async () => {
    const recorded = gateway.requests.length;
    const session = await sandbox.execInteractive(["cat"]);
    try {
      expect((await rejection(() => session.write(new Float32Array(2) as never))).field).toBe("stdin");
      await session.write("");
      await session.write("hi");
      session.end();
      expect(await session.wait()).toBe(0);
    } finally {
      session.close();
    }
    const frames = gateway.requests
      .slice(recorded)
      .filter((r) => r.method === "ExecSandboxInteractive")
      .map((r) => (r.message as ExecSandboxInput).payload.case);
    expect(frames).toEqual(["start", "stdin"]);
  });
});

// Found by `npm run fuzz` (2,000 interactive execs on one client): the 1,068th failed with
// InternalError "Session closed with error code 2". The SDK returned at the exit event and so
// cancelled every exec's stream (RST_STREAM); after a burst of about 1,000 the server's HTTP/2
// (nghttp2's rapid-reset defence) closed the connection. Plain `exec` did the same.
describe("an exec's call is read to its end, not cancelled after the exit event", () => {
  let gateway: RecordingGateway;
  let os: Client;
  beforeAll(async () => {
    // Trailers a little after the exit event, so that a client that cancels is seen doing it.
    gateway = await startRecordingGateway({ trailersDelayMs: 30 });
    os = await gateway.client();
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  it("exec, execStream and execInteractive end their calls without a reset", async () => {
    const sandbox = await os.sandboxes.get("fuzz");
    const before = gateway.resets();
    expect((await sandbox.exec(["true"])).exitCode).toBe(0);
    for await (const event of sandbox.execStream(["true"])) if (event.type === "exit") break;
    const session = await sandbox.execInteractive(["cat"]);
    session.end();
    expect(await session.wait()).toBe(0);
    session.close();
    expect(gateway.resets() - before).toBe(0);
  });
});

/**
 * Found by exec-inputs.test.ts's execInteractive property (a 65 KB write, then a resize): once the
 * gateway had finished an interactive exec (the command exited) without reading the rest of its
 * input, a write bigger than the HTTP/2 flow-control window resolved, and the resize after it never
 * settled. The exec's call is now read to its end, which closes its input (later writes are refused).
 */
describe("interactive exec after the command has exited", () => {
  let gateway: RecordingGateway;
  let os: Client;
  let sandbox: Sandbox;
  beforeAll(async () => {
    gateway = await startRecordingGateway({ interactiveReadsInput: false });
    os = await gateway.client();
    sandbox = await os.sandboxes.get("fuzz");
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  it("settles write and resize (resolved or rejected) within 5 s, when the command exited first", async () => {
    const session = await sandbox.execInteractive(["head", "-c", "1"], { tty: true });
    const bounded = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => "settled",
          () => "settled",
        ),
        new Promise((r) => setTimeout(() => r("hung"), 5_000)),
      ]);
    try {
      // The gateway has already finished the call; these frames have nowhere to go.
      expect(await bounded(session.write("a".repeat(128 * 1024))), "write").toBe("settled");
      expect(await bounded(session.resize(100, 30)), "resize").toBe("settled");
      expect(await bounded(session.wait()), "wait").toBe("settled");
    } finally {
      session.close();
    }
  }, 30_000);
});

describe("defects the fuzz found in gateway discovery", () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), "openshell-found-defects-"));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** A registered gateway "gw" at an https endpoint nobody answers on, with the given files. */
  async function connectWith(files: Record<string, string>, metadata: Record<string, unknown> = {}) {
    const home = await mkdtemp(path.join(base, "home-"));
    const dir = path.join(home, ".config", "openshell", "gateways", "gw");
    await mkdir(path.join(dir, "mtls"), { recursive: true });
    await writeFile(
      path.join(dir, "metadata.json"),
      JSON.stringify({ gateway_endpoint: "https://127.0.0.1:9", ...metadata }),
    );
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
    const connect = () =>
      OpenShell.connect({
        gateway: "gw",
        homeDir: home,
        env: { HOME: home },
        platform: "linux",
        retry: false,
      });
    return { dir, connect };
  }

  // Was: connect() succeeded and the first call failed as InternalError "health check: the gateway
  // failed: error:0480006C:PEM routines::no start line".
  it("an empty mtls/ca.crt is a GatewayConfigError naming it, at connect time", async () => {
    const { dir, connect } = await connectWith({
      "mtls/ca.crt": "",
      "mtls/tls.crt": "x",
      "mtls/tls.key": "y",
    });
    const result = await settle(connect);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(GatewayConfigError);
    expect((result.error as GatewayConfigError).source).toBe(path.join(dir, "mtls", "ca.crt"));
    expect((result.error as Error).message).toContain("is empty");
  });

  // Was: connect() succeeded and every call failed as InternalError "Cannot convert argument to a
  // ByteString" (the token cannot be a header value); the message now never quotes the token.
  it("an edge token no header can carry is a GatewayConfigError naming its file", async () => {
    const { dir, connect } = await connectWith(
      { edge_token: "s3cr3t\0value" },
      { gateway_endpoint: "http://127.0.0.1:9", auth_mode: "cloudflare_jwt" },
    );
    const result = await settle(connect);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(GatewayConfigError);
    expect((result.error as GatewayConfigError).source).toBe(path.join(dir, "edge_token"));
    expect((result.error as Error).message).not.toContain("s3cr3t");
  });

  // Was: the first call failed as InternalError "health check: the gateway failed: <file> is not
  // valid JSON" (the SDK's own error, wrapped by connect, lost its class).
  it("a corrupt oidc_token.json fails the first call as GatewayConfigError naming it", async () => {
    const { dir, connect } = await connectWith(
      { "oidc_token.json": "{ not json" },
      { gateway_endpoint: "http://127.0.0.1:9", auth_mode: "oidc" },
    );
    const os = await connect();
    try {
      const result = await settle(() => os.health());
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(GatewayConfigError);
      expect((result.error as GatewayConfigError).source).toBe(path.join(dir, "oidc_token.json"));
    } finally {
      await os.close();
    }
  });
});
