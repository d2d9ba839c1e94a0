import { createServer, type Server } from "node:net";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExecSandboxInput,
  OpenShell,
  SandboxPhase,
  type TcpForwardFrame,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

/** Behaviour of the test gateway that the SDK's own tests lean on, checked with the raw client. */
describe("test gateway behaviour", () => {
  let gateway: TestGateway;
  let client: Client<typeof OpenShell>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = createClient(
      OpenShell,
      createGrpcTransport({
        baseUrl: gateway.endpoint,
        nodeOptions: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function until(name: string, phase: SandboxPhase) {
    for (let i = 0; i < 200; i++) {
      const sb = (await client.getSandbox({ name })).sandbox;
      if (sb?.status?.phase === phase) return sb;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${name} never reached ${SandboxPhase[phase]}`);
  }

  async function ready(name: string, command = ["sleep", "60"]) {
    await client.createSandbox({ name, spec: { command } });
    return (await until(name, SandboxPhase.READY)).metadata?.id ?? "";
  }

  async function code(promise: Promise<unknown>) {
    return promise.then(
      () => Code[0],
      (e: unknown) => Code[ConnectError.from(e).code],
    );
  }

  it("validates creates and lists the way the gateway does", async () => {
    expect(await code(client.createSandbox({ name: "x" }))).toBe("InvalidArgument");
    expect(await code(client.createSandbox({ name: "a-name-that-is-too-long", spec: {} }))).toBe(
      "InvalidArgument",
    );
    expect(await code(client.createSandbox({ name: "p", spec: { providers: ["nope"] } }))).toBe(
      "FailedPrecondition",
    );
    expect(await code(client.listSandboxes({ workspace: "w", allWorkspaces: true }))).toBe("InvalidArgument");
    expect(await code(client.deleteSandbox({ name: "missing" }))).toBe("NotFound");
    const generated = await client.createSandbox({ spec: {} });
    expect(generated.sandbox?.metadata?.name).toMatch(/^[a-z0-9-]{1,19}$/);
    expect(typeof generated.sandbox?.metadata?.resourceVersion).toBe("bigint");
  });

  it("reports a failing image, a main process exit code and a signal", async () => {
    await client.createSandbox({ name: "img", spec: { template: { image: "fail-image" } } });
    const img = await until("img", SandboxPhase.ERROR);
    expect(img.status?.conditions[0]?.reason).toBe("ImagePullBackOff");

    await client.createSandbox({ name: "exit3", spec: { command: ["sh", "-c", "exit 3"] } });
    const exit3 = await until("exit3", SandboxPhase.ERROR);
    expect(exit3.status?.conditions[0]?.reason).toBe("MainProcessFailed");
    expect(exit3.status?.exitCode).toBe(3);

    await client.createSandbox({ name: "exit0", spec: { command: ["sh", "-c", "exit 0"] } });
    const exit0 = await until("exit0", SandboxPhase.COMPLETED);
    expect(exit0.status?.conditions[0]?.reason).toBe("MainProcessCompleted");
    expect(exit0.status?.exitCode).toBe(0);

    await client.createSandbox({ name: "term", spec: { command: ["sh", "-c", "kill -TERM $$"] } });
    expect((await until("term", SandboxPhase.ERROR)).status?.exitCode).toBe(143);
  });

  it("stops, refuses exec while stopped, and starts again", async () => {
    const id = await ready("cycle");
    await client.stopSandbox({ name: "cycle" });
    await until("cycle", SandboxPhase.STOPPED);
    const err = await collect(client.execSandbox({ sandboxId: id, command: ["true"] })).catch((e) => e);
    expect(ConnectError.from(err).code).toBe(Code.FailedPrecondition);
    expect(ConnectError.from(err).rawMessage).toBe("sandbox is not ready");
    await client.startSandbox({ name: "cycle" });
    await until("cycle", SandboxPhase.READY);
  });

  it("runs an interactive command: stdin frames, resize, half-close", async () => {
    const id = await ready("inter");
    const frames: ExecSandboxInput["payload"][] = [
      {
        case: "start",
        value: {
          sandboxId: id,
          command: ["sh", "-c", 'read l; echo "got:$l $COLUMNS"; cat'],
          cols: 100,
        } as never,
      },
      { case: "stdin", value: new TextEncoder().encode("first\n") },
      { case: "resize", value: { cols: 120, rows: 40 } as never },
      { case: "stdin", value: new TextEncoder().encode("second\n") },
    ];
    async function* input() {
      for (const payload of frames) yield { payload };
    }
    let out = "";
    let exit: number | undefined;
    for await (const ev of client.execSandboxInteractive(input())) {
      if (ev.payload.case === "stdout") out += Buffer.from(ev.payload.value.data).toString();
      if (ev.payload.case === "exit") exit = ev.payload.value.exitCode;
    }
    expect(out).toBe("got:first 100\nsecond\n");
    expect(exit).toBe(0);
    expect(gateway.state.terminalSizes.get(id)).toEqual({ cols: 120, rows: 40 });

    async function* noStart() {
      yield { payload: { case: "stdin" as const, value: new Uint8Array([1]) } };
    }
    const err = await collect(client.execSandboxInteractive(noStart())).catch((e) => e);
    expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
  });

  it("ends a stop_on_terminal watch on COMPLETED, ERROR and STOPPED, as upstream since PR #2884", async () => {
    await client.createSandbox({ name: "t-done", spec: { command: ["sh", "-c", "exit 0"] } });
    await client.createSandbox({ name: "t-fail", spec: { command: ["sh", "-c", "exit 4"] } });
    await ready("t-stop");
    await client.stopSandbox({ name: "t-stop" });
    const ends = [
      ["t-done", SandboxPhase.COMPLETED],
      ["t-fail", SandboxPhase.ERROR],
      ["t-stop", SandboxPhase.STOPPED],
    ] as const;
    for (const [name, phase] of ends) {
      await until(name, phase);
      const id = (await client.getSandbox({ name })).sandbox?.metadata?.id ?? "";
      // Without stop_on_terminal ending it, this watch would run until the signal gives up on it.
      const events = await collect(
        client.watchSandbox(
          { id, followStatus: true, stopOnTerminal: true },
          { signal: AbortSignal.timeout(5_000) },
        ),
      );
      expect(
        events.map((e) => (e.payload.case === "sandbox" ? e.payload.value.status?.phase : e.payload.case)),
      ).toEqual([phase]);
    }
  });

  it("ends a stop_on_terminal watch on READY and a watch silently on delete", async () => {
    await client.createSandbox({ name: "watch", spec: { command: ["sleep", "60"] } });
    const id = (await client.getSandbox({ name: "watch" })).sandbox?.metadata?.id ?? "";
    const phases = (await collect(client.watchSandbox({ id, followStatus: true, stopOnTerminal: true }))).map(
      (e) => (e.payload.case === "sandbox" ? e.payload.value.status?.phase : undefined),
    );
    expect(phases.at(-1)).toBe(SandboxPhase.READY);

    const rest = collect(client.watchSandbox({ id, followStatus: true, followLogs: true }));
    await client.deleteSandbox({ name: "watch" });
    // Ends without an error, the last status seen being DELETING.
    const events = await rest;
    const statuses = events.flatMap((e) =>
      e.payload.case === "sandbox" ? [e.payload.value.status?.phase] : [],
    );
    expect(statuses.at(-1)).toBe(SandboxPhase.DELETING);
  });

  it("forwards TCP with a session token, loopback only, within the limits", async () => {
    const echo: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const port = (echo.address() as { port: number }).port;
    try {
      const id = await ready("fwd");
      const { token } = await client.createSshSession({ sandboxId: id });
      const init = (host: string, authorizationToken = token): TcpForwardFrame["payload"] => ({
        case: "init",
        value: { sandboxId: id, target: { case: "tcp", value: { host, port } }, authorizationToken } as never,
      });
      async function* frames(first: TcpForwardFrame["payload"], data: string[]) {
        yield { payload: first };
        for (const d of data)
          yield { payload: { case: "data" as const, value: new TextEncoder().encode(d) } };
      }
      let echoed = "";
      for await (const f of client.forwardTcp(frames(init("127.0.0.1"), ["ping"]))) {
        if (f.payload.case === "data") echoed += Buffer.from(f.payload.value).toString();
      }
      expect(echoed).toBe("ping");

      const failure = async (first: TcpForwardFrame["payload"]) =>
        ConnectError.from(await collect(client.forwardTcp(frames(first, []))).catch((e) => e)).code;
      expect(await failure(init("127.0.0.1", ""))).toBe(Code.Unauthenticated);
      expect(await failure(init("10.0.0.1"))).toBe(Code.PermissionDenied);

      // Three streams held open on one token: the fourth is refused.
      const hold = new AbortController();
      async function* open() {
        yield { payload: init("127.0.0.1") };
        await new Promise((r) => hold.signal.addEventListener("abort", r));
      }
      const held = [0, 1, 2].map(() =>
        collect(client.forwardTcp(open(), { signal: hold.signal })).catch(() => undefined),
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(await failure(init("127.0.0.1"))).toBe(Code.ResourceExhausted);
      hold.abort();
      await Promise.all(held);
    } finally {
      echo.close();
    }
  });

  it("keeps policy static sections fixed and checks the expected version", async () => {
    await ready("pol");
    const sb = (await client.getSandbox({ name: "pol" })).sandbox;
    const changed = client.updateConfig({ name: "pol", policy: { filesystem: { readOnly: ["/x"] } } });
    expect(await code(changed)).toBe("InvalidArgument");
    const stale = client.updateConfig({ name: "pol", policy: {}, expectedResourceVersion: 1n });
    expect(await code(stale)).toBe("Aborted");
    const res = await client.updateConfig({
      name: "pol",
      policy: { networkPolicies: { a: { name: "a" } } },
      expectedResourceVersion: sb?.metadata?.resourceVersion ?? 0n,
    });
    expect(res.version).toBe(2);
    const revisions = await client.listSandboxPolicies({ name: "pol" });
    expect(revisions.revisions.map((r) => r.version)).toEqual([2, 1]);
  });
});

describe("test gateway over h2c with auth", () => {
  it("requires the bearer token on every call but Health and records headers", async () => {
    const gateway = await startTestGateway({ tls: false, auth: { bearer: "tok" } });
    try {
      expect(gateway.endpoint).toMatch(/^http:\/\//);
      const anon = createClient(OpenShell, createGrpcTransport({ baseUrl: gateway.endpoint }));
      await anon.health({});
      expect(ConnectError.from(await anon.listSandboxes({}).catch((e) => e)).code).toBe(Code.Unauthenticated);
      const authed = createClient(
        OpenShell,
        createGrpcTransport({
          baseUrl: gateway.endpoint,
          interceptors: [
            (next) => (req) => {
              req.header.set("authorization", "Bearer tok");
              return next(req);
            },
          ],
        }),
      );
      await authed.listSandboxes({});
      expect(gateway.lastHeaders()?.authorization).toBe("Bearer tok");
    } finally {
      await gateway.close();
    }
  });
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}
