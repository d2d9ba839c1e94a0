import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, NotFoundError, OpenShell, type Sandbox } from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { callFailure } from "../../support/call-failure.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";
import { type LocalKind, leftovers, uniqueName, until } from "./local-gateway-support.js";

/** Keeps running after starting its servers, and exits at once on SIGTERM. */
const STAY = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

/** busybox httpd (it daemonizes) serving `page` on each port, each from its own directory. */
function webServers(pages: Record<number, string>): string[] {
  const steps = Object.entries(pages).map(
    ([port, page]) =>
      `mkdir -p /sandbox/www${port} && echo ${page} > /sandbox/www${port}/index.html && httpd -p ${port} -h /sandbox/www${port}`,
  );
  return ["sh", "-c", [...steps, STAY].join(" && ")];
}

/**
 * What a GET of `url` answers on a new connection (no pooled one, so a closed listener shows as
 * refused): status and body, or the connection's error code.
 */
function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

/**
 * Published services in local mode over a real engine, through `OpenShell.local()`: each endpoint is
 * a listener on this host's loopback that forwards HTTP and WebSocket traffic to a port of the
 * sandbox, answers 412 / 502 as the gateway's service router does, dies with its sandbox, and
 * answers again at the same URL after the gateway restarts over the same state.
 */
export function describeLocalServices(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const local = { runtime: kind, runtimeOptions: { endpoint } } as const;
  let runtime: ContainerRuntime;
  let os: OpenShell;
  let gatewayId: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    os = await OpenShell.local({ ...local, ephemeral: true });
    gatewayId = os.localGateway?.gatewayId ?? "";
  });
  afterAll(async () => {
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function ready(client: OpenShell, command: string[]): Promise<Sandbox> {
    const sb = await client.sandboxes.create({ name: uniqueName("svc"), image: testImages.sandbox, command });
    await sb.ready({ timeoutMs: 30_000 });
    return sb;
  }

  /** The body at `url` once it answers 200 (the server may still be starting). */
  const page = (url: string) =>
    until(`${url} to answer 200`, async () => {
      const got = await get(url);
      return "status" in got && got.status === 200 ? got.body : undefined;
    });

  it("publishes a port at a loopback URL: the page, get and list, expose again to another port, delete", async () => {
    const sb = await ready(os, webServers({ 8080: "page-one", 8081: "page-two" }));
    const name = sb.name;
    const web = await os.services.expose({ sandbox: name, port: 8080, name: "web" });
    expect(web).toMatchObject({
      name: "web",
      sandboxName: name,
      sandboxId: sb.info?.id,
      workspace: "default",
      port: 8080,
      resourceVersion: 1n,
    });
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await page(web.url)).toBe("page-one\n");
    expect(await os.services.get(name, "web")).toEqual(web);

    // Exposing again changes the target and keeps the endpoint: same id, same URL.
    const moved = await os.services.expose({ sandbox: name, port: 8081, name: "web" });
    expect(moved).toMatchObject({ id: web.id, url: web.url, port: 8081, resourceVersion: 2n });
    expect(await get(web.url)).toEqual({ status: 200, body: "page-two\n" });

    const unnamed = await os.services.expose({ sandbox: name, port: 8080 });
    expect(unnamed.url).not.toBe(web.url);
    expect(await get(unnamed.url)).toEqual({ status: 200, body: "page-one\n" });
    expect((await os.services.list({ sandbox: name })).map((s) => [s.name, s.port])).toEqual([
      ["", 8080],
      ["web", 8081],
    ]);
    expect(await os.services.list({ limit: 1, offset: 1 })).toEqual([moved]);

    expect(await os.services.delete(name, "web")).toBe(true);
    expect(await get(web.url)).toEqual({ error: "ECONNREFUSED" });
    expect(await os.services.delete(name, "web")).toBe(false);
    expect(await rejection(os.services.get(name, "web"))).toBeInstanceOf(NotFoundError);

    // Endpoints die with their sandbox.
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
    expect(await get(unnamed.url)).toEqual({ error: "ECONNREFUSED" });
    expect(await os.services.list({ allWorkspaces: true })).toEqual([]);
    expect(await os.services.delete(name, "")).toBe(false);
  });

  it("answers 502 when nothing listens on the port and 412 while the sandbox is not READY", async () => {
    const sb = await ready(os, ["sh", "-c", STAY]);
    const idle = await os.services.expose({ sandbox: sb.name, port: 9000, name: "idle" });
    const got = await get(idle.url);
    expect(got).toMatchObject({ status: 502 });
    expect("body" in got && got.body).toContain("nothing answers on port 9000 in the sandbox");

    await sb.stop();
    await until("the sandbox to stop", async () =>
      (await sb.refresh()).phase === "stopped" ? true : undefined,
    );
    // READY is not needed to expose; requests meanwhile are answered 412.
    const stopped = await os.services.expose({ sandbox: sb.name, port: 9001, name: "later" });
    for (const url of [idle.url, stopped.url]) {
      const answer = await get(url);
      expect(answer).toMatchObject({ status: 412 });
      expect("body" in answer && answer.body).toContain(`sandbox "${sb.name}" is not ready`);
    }
    // Gone before the next test lists the workspace's endpoints, which go with their sandbox.
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
  });

  it("relays a WebSocket upgrade both ways once the server switches protocols", async () => {
    // A server that answers any request with 101 and then echoes what it reads.
    const sb = await ready(os, [
      "sh",
      "-c",
      [
        `printf '%s\\n' '#!/bin/sh' 'while IFS= read -r l; do [ "\${#l}" -le 1 ] && break; done' ` +
          `'printf "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n"' ` +
          `'exec cat' > /sandbox/ws.sh`,
        "chmod +x /sandbox/ws.sh",
        `{ nc -ll -p 9100 -e /sandbox/ws.sh & } && ${STAY}`,
      ].join(" && "),
    ]);
    const ws = await os.services.expose({ sandbox: sb.name, port: 9100, name: "ws" });
    const echoed = await until("the upgrade to echo", () => upgradeEcho(ws.url, "ping-over-websocket"));
    expect(echoed).toEqual({ status: 101, echo: "ping-over-websocket" });
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
  });

  it("keeps endpoints per workspace: listed there or with allWorkspaces; gone with their sandbox, the workspace can go", async () => {
    const workspace = uniqueName("team");
    await os.workspaces.create({ name: workspace });
    const sb = await os.sandboxes.create({
      name: uniqueName("svc"),
      image: testImages.sandbox,
      command: webServers({ 8080: "team-page" }),
      workspace,
    });
    await sb.ready({ timeoutMs: 30_000 });
    // The same sandbox name in another workspace is another sandbox.
    expect(
      await callFailure(os.raw.openshell.exposeService({ sandbox: sb.name, targetPort: 8080 })),
    ).toMatchObject({
      code: "NotFound",
    });
    const team = await os.services.expose({ sandbox: sb.name, port: 8080, workspace });
    expect(team.workspace).toBe(workspace);
    expect(await page(team.url)).toBe("team-page\n");
    expect(await os.services.list()).toEqual([]);
    expect(await os.services.list({ workspace })).toEqual([team]);
    expect(await os.services.list({ allWorkspaces: true })).toEqual([team]);
    expect(await os.services.get(sb.name, "", { workspace })).toEqual(team);
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
    // Gone with its sandbox, so the workspace holds nothing and can go.
    expect(await os.services.list({ allWorkspaces: true })).toEqual([]);
    expect(await os.workspaces.delete(workspace)).toBe(true);
  });

  it("refuses what the gateway refuses, naming the field or the missing thing", async () => {
    const sb = await ready(os, ["sh", "-c", STAY]);
    const raw = os.raw.openshell;
    for (const service of ["a--b", "Web", "a".repeat(20), "-web", "web_1"]) {
      const result = await callFailure(raw.exposeService({ sandbox: sb.name, service, targetPort: 80 }));
      expect(result, service).toMatchObject({ code: "InvalidArgument" });
      expect((result as { message: string }).message).toContain(`service "${service}"`);
    }
    for (const targetPort of [0, 65_536]) {
      expect(await callFailure(raw.exposeService({ sandbox: sb.name, targetPort }))).toEqual({
        code: "InvalidArgument",
        message: `target_port ${targetPort} must be 1 to 65535`,
      });
    }
    expect(await callFailure(raw.exposeService({ sandbox: "", targetPort: 80 }))).toEqual({
      code: "InvalidArgument",
      message: "sandbox is required",
    });
    expect(await callFailure(raw.exposeService({ sandbox: "nope", targetPort: 80 }))).toMatchObject({
      code: "NotFound",
    });
    expect(
      await callFailure(raw.exposeService({ sandbox: sb.name, targetPort: 80, workspace: "never-made" })),
    ).toMatchObject({
      code: "NotFound",
      message: expect.stringContaining('workspace "never-made" not found'),
    });
    expect(await callFailure(raw.listServices({ workspace: "x", allWorkspaces: true }))).toMatchObject({
      code: "InvalidArgument",
    });
    // Through the curated client: the SDK's own errors.
    expect(await rejection(os.services.expose({ sandbox: sb.name, port: 80, name: "a--b" }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    const missing = await rejection(os.services.get(sb.name, "none"));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toContain(`service "none" of sandbox "${sb.name}" not found`);
    expect(await os.services.delete(sb.name, "none")).toBe(false);
    expect(await os.services.list({ sandbox: sb.name })).toEqual([]);
    await sb.delete();
  });

  describe("a restarted gateway", () => {
    let stateDir: string;
    let current: OpenShell | undefined;

    beforeAll(() => {
      stateDir = mkdtempSync(join(tmpdir(), "openshell-local-services-"));
      dirs.push(stateDir);
    });
    afterAll(async () => {
      // Whatever a failed step left: a gateway over the same state removes it all.
      await current?.close();
      const last = await OpenShell.local({ ...local, stateDir });
      const id = last.localGateway?.gatewayId ?? "";
      await last.localGateway?.close({ removeSandboxes: true });
      await last.close();
      expect(await leftovers(runtime, id)).toEqual([]);
    });

    it("serves its endpoints again at the same URLs, and forgets those of sandboxes deleted meanwhile", async () => {
      current = await OpenShell.local({ ...local, stateDir });
      const sb = await ready(current, webServers({ 8080: "kept" }));
      const kept = await current.services.expose({ sandbox: sb.name, port: 8080, name: "kept" });
      expect(await page(kept.url)).toBe("kept\n");
      await current.close();
      current = undefined;
      // The gateway is gone, and so is its listener.
      expect(await get(kept.url)).toEqual({ error: "ECONNREFUSED" });

      current = await OpenShell.local({ ...local, stateDir });
      expect(await current.services.get(sb.name, "kept")).toEqual(kept);
      expect(await get(kept.url)).toEqual({ status: 200, body: "kept\n" });

      await current.sandboxes.delete(sb.name);
      await current.sandboxes.deleted(sb.name, { timeoutMs: 30_000 });
      expect(await get(kept.url)).toEqual({ error: "ECONNREFUSED" });
      await current.close();
      current = await OpenShell.local({ ...local, stateDir });
      expect(await current.services.list()).toEqual([]);
      expect(await get(kept.url)).toEqual({ error: "ECONNREFUSED" });
    });
  });
}

/**
 * Sends a WebSocket upgrade to `url`, then `message` over the switched connection; resolves with the
 * status and what came back (undefined while the server is not up yet).
 */
function upgradeEcho(url: string, message: string): Promise<{ status: number; echo: string } | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
      },
      timeout: 10_000,
    });
    req.on("upgrade", (res, socket) => {
      let echo = "";
      socket.on("data", (data: Buffer) => {
        echo += data.toString();
        if (echo.length >= message.length) {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, echo });
        }
      });
      socket.on("error", reject);
      socket.write(message);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on("timeout", () => req.destroy(new Error("no answer to the upgrade")));
    req.on("error", reject);
    req.end();
  });
}
