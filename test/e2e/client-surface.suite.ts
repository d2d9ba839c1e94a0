import { createHash, randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  CanceledError,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
  type Sandbox,
  SandboxFailedError,
} from "../../src/index.js";
import type { E2eTarget } from "./e2e-target.js";

/** A name unique to this run, valid as a sandbox name (<= 19 chars). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`.slice(0, 19);
}

/**
 * The whole client surface, as a user drives it, against one gateway. Every assertion is on what the
 * user sees through the public API.
 */
export function describeClientSurface(makeTarget: () => Promise<E2eTarget>): void {
  let target: E2eTarget;
  let os: OpenShell;
  const created: Sandbox[] = [];

  async function sandbox(prefix: string, options: Parameters<OpenShell["sandboxes"]["create"]>[0] = {}) {
    const sb = await os.sandboxes.create({
      name: uniqueName(prefix),
      image: target.image,
      command: target.idleCommand,
      labels: { suite: "client-surface" },
      ...options,
    });
    created.push(sb);
    return sb;
  }

  beforeAll(async () => {
    target = await makeTarget();
    os = await target.connect();
  });

  afterAll(async () => {
    for (const sb of created) await sb[Symbol.asyncDispose]().catch(() => undefined);
    os?.close();
    await target?.close();
  });

  describe("gateway", () => {
    it("answers health and info", async () => {
      const health = await os.health();
      expect(health.status).toBe("healthy");
      const info = await os.gatewayInfo();
      expect(info.version).not.toBe("");
    });
  });

  describe("sandbox lifecycle", () => {
    it("creates a sandbox, waits until ready, finds it by name and by label, and deletes it", async () => {
      const sb = await sandbox("life", { labels: { suite: "client-surface", case: "lifecycle" } });
      expect(sb.info?.phase).toBe("provisioning");
      expect(sb.info?.id).toMatch(/^[0-9a-f-]{36}$/);
      const ready = await sb.ready({ timeoutMs: 60_000 });
      expect(ready.phase).toBe("ready");
      expect(ready.name).toBe(sb.name);
      expect(typeof ready.resourceVersion).toBe("bigint");

      const fetched = await os.sandboxes.get(sb.name);
      expect(fetched.info?.id).toBe(sb.info?.id);
      const listed = await os.sandboxes.list({ labels: { case: "lifecycle" } });
      expect(listed.map((s) => s.name)).toEqual([sb.name]);

      expect(await sb.delete()).toBe(true);
      await sb.deleted({ timeoutMs: 60_000 });
      await expect(os.sandboxes.get(sb.name)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("refuses a duplicate name", async () => {
      const sb = await sandbox("dup");
      await expect(
        os.sandboxes.create({ name: sb.name, image: target.image, command: target.idleCommand }),
      ).rejects.toBeInstanceOf(AlreadyExistsError);
    });

    it("fails ready() fast with the exit code once the main process has exited", async () => {
      const sb = await sandbox("exits", { command: ["sh", "-c", "echo bye; exit 3"] });
      // The sandbox may be ready for a moment before its main process exits; wait for the exit.
      await waitForPhase(sb, "error");
      // A runtime without exit codes (Apple container) ends it all the same, making no code up.
      const ended =
        target.exitCodes === false
          ? { reason: "MainProcessExited", exitCode: undefined }
          : { reason: "MainProcessFailed", exitCode: 3 };
      expect(sb.info?.exitCode).toBe(ended.exitCode);
      expect(sb.info?.reason).toBe(ended.reason);
      const started = performance.now();
      const err = await sb.ready({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(err).toBeInstanceOf(SandboxFailedError);
      const failed = err as SandboxFailedError;
      expect(failed.phase).toBe("error");
      expect(failed.reason).toBe(ended.reason);
      expect(failed.exitCode).toBe(ended.exitCode);
      expect(failed.message).toContain(sb.name);
    });

    it("fails ready() with the gateway's reason when the sandbox cannot start", async () => {
      const sb = await sandbox("noimage", { image: target.failingImage });
      const err = await sb.ready({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxFailedError);
      expect((err as SandboxFailedError).phase).toBe("error");
      expect((err as SandboxFailedError).reason).toBeTruthy();
    });

    it("pages through list results", async () => {
      const label = uniqueName("page");
      for (let i = 0; i < 3; i++) await sandbox(`pg${i}`, { labels: { page: label } });
      const first = await os.sandboxes.list({ labels: { page: label }, limit: 2 });
      const second = await os.sandboxes.list({ labels: { page: label }, limit: 2, offset: 2 });
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(1);
      const all: string[] = [];
      for await (const s of os.sandboxes.listAll({ labels: { page: label }, limit: 2 })) all.push(s.name);
      expect(all.sort()).toEqual([...first, ...second].map((s) => s.name).sort());
    });

    it("stops and starts a sandbox", async () => {
      const sb = await sandbox("stop");
      await sb.ready({ timeoutMs: 60_000 });
      await sb.stop();
      await waitForPhase(sb, "stopped");
      await expect(sb.exec(["true"])).rejects.toBeInstanceOf(FailedPreconditionError);
      await sb.start();
      await sb.ready({ timeoutMs: 60_000 });
      expect((await sb.exec(["echo", "back"])).stdout).toBe("back\n");
    });

    it("refuses to stop a sandbox that is not ready", async () => {
      // A sandbox that failed to start (no exit code): a finished main process would make stop a no-op.
      const sb = await sandbox("nostop", { image: target.failingImage });
      await waitForPhase(sb, "error", 60_000);
      await expect(sb.stop()).rejects.toBeInstanceOf(FailedPreconditionError);
    });

    it("deletes the sandbox when an `await using` scope ends", async () => {
      let name = "";
      {
        await using sb = await os.sandboxes.create({ image: target.image, command: target.idleCommand });
        name = sb.name;
        expect(name).not.toBe("");
      }
      await os.sandboxes.deleted(name, { timeoutMs: 60_000 });
      await expect(os.sandboxes.get(name)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe("exec", () => {
    let sb: Sandbox;
    beforeAll(async () => {
      sb = await sandbox("exec", { env: { FROM_SPEC: "spec-value" } });
      await sb.ready({ timeoutMs: 60_000 });
    });

    it("returns exit code, stdout and stderr", async () => {
      const res = await sb.exec(["sh", "-c", "echo out; echo err >&2; exit 7"]);
      expect(res).toEqual({ exitCode: 7, stdout: "out\n", stderr: "err\n" });
    });

    it("passes stdin, env and workdir", async () => {
      const res = await sb.exec(["sh", "-c", 'cat; echo "$GREETING"; pwd'], {
        stdin: "from stdin\n",
        env: { GREETING: "hello" },
        workdir: "/tmp",
      });
      expect(res.stdout).toBe("from stdin\nhello\n/tmp\n");
    });

    it("sees the sandbox's environment", async () => {
      expect((await sb.exec(["sh", "-c", "echo $FROM_SPEC"])).stdout).toBe("spec-value\n");
    });

    it("kills a command at its timeout with exit code 124", async () => {
      const res = await sb.exec(["sleep", "30"], { timeoutSeconds: 1 });
      expect(res.exitCode).toBe(124);
    });

    it("streams output as it comes and ends with the exit event", async () => {
      const events: string[] = [];
      for await (const ev of sb.execStream(["sh", "-c", "echo one; sleep 0.2; echo two >&2; exit 2"])) {
        events.push(
          ev.type === "exit" ? `exit:${ev.exitCode}` : `${ev.type}:${Buffer.from(ev.data).toString().trim()}`,
        );
      }
      expect(events).toEqual(["stdout:one", "stderr:two", "exit:2"]);
    });

    it("carries 10 MiB of stdout intact", async () => {
      const res = await sb.exec(["sh", "-c", "head -c 10485760 /dev/zero | tr '\\0' 'x'"]);
      expect(res.exitCode).toBe(0);
      expect(res.stdout.length).toBe(10 * 1024 * 1024);
      expect(/^x+$/.test(res.stdout)).toBe(true);
    });

    it("talks to an interactive command through stdin", async () => {
      const session = await sb.execInteractive(["sh", "-c", 'read line; echo "got:$line"; cat']);
      await session.write("first\n");
      await session.write("second\n");
      session.end();
      let out = "";
      for await (const ev of session.events) {
        if (ev.type === "stdout") out += Buffer.from(ev.data).toString();
        if (ev.type === "exit") expect(ev.exitCode).toBe(0);
      }
      expect(out).toBe("got:first\nsecond\n");
    });

    it("returns the exit code from wait() and accepts resizes", async () => {
      const session = await sb.execInteractive(["sh", "-c", "read x; exit 5"], {
        tty: false,
        cols: 100,
        rows: 30,
      });
      await session.resize(120, 40);
      await session.write("go\n");
      expect(await session.wait()).toBe(5);
    });

    it("stops a command when the caller aborts, within 100 ms", async () => {
      const controller = new AbortController();
      const run = sb.exec(["sleep", "30"], { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      controller.abort();
      await expect(run).rejects.toBeInstanceOf(CanceledError);
      expect(performance.now() - started).toBeLessThan(100);
    });

    it("validates input before sending anything", async () => {
      await expect(sb.exec(["sh", "-c", "true"], { env: { "not-valid": "1" } })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });
  });

  describe("logs", () => {
    it("reads the main process's output and follows new lines", async () => {
      const sb = await sandbox("logs", {
        command: ["sh", "-c", "echo line-1; sleep 1; echo line-2; sleep 600"],
      });
      await sb.ready({ timeoutMs: 60_000 });
      const seen: string[] = [];
      for await (const line of sb.logs({ follow: true, sources: ["sandbox"] })) {
        seen.push(line.message);
        if (line.message.includes("line-2")) break;
      }
      expect(seen.some((m) => m.includes("line-1"))).toBe(true);
      const lines = await sb.logs({ sources: ["sandbox"] });
      const messages = lines.map((l) => l.message);
      expect(messages.some((m) => m.includes("line-1"))).toBe(true);
      expect(messages.some((m) => m.includes("line-2"))).toBe(true);
      expect(lines.every((l) => l.source === "sandbox")).toBe(true);
    });
  });

  describe("forward", () => {
    it("fetches a page from an HTTP server inside the sandbox", async () => {
      const sb = await sandbox("http", { command: target.httpServerCommand(8080, "hello from the sandbox") });
      await sb.ready({ timeoutMs: 60_000 });
      await using fwd = await sb.forward({ port: 8080 });
      expect(fwd.localHost).toBe("127.0.0.1");
      const body = await retryFetch(fwd.url);
      expect(body).toBe("hello from the sandbox");
    });

    it("carries 10 MiB both ways intact over 3 concurrent connections", async () => {
      const sb = await sandbox("echo", { command: target.echoServerCommand(9000) });
      await sb.ready({ timeoutMs: 60_000 });
      await using fwd = await sb.forward({ port: 9000 });
      const results = await Promise.all([0, 1, 2].map(() => echoRoundTrip(fwd.localPort, 10 * 1024 * 1024)));
      for (const r of results) expect(r.received).toBe(r.sent);
    });
  });

  describe("providers", () => {
    it("creates, reads, updates, attaches and deletes a provider without revealing credentials", async () => {
      const name = uniqueName("prov");
      const secret = `sk-${randomBytes(12).toString("hex")}`;
      const created = await os.providers.create({
        name,
        type: "openai",
        credentials: { OPENAI_API_KEY: secret },
      });
      expect(created.credentialKeys).toEqual(["OPENAI_API_KEY"]);
      expect(JSON.stringify(created, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(
        secret,
      );
      await expect(
        os.providers.create({ name, type: "openai", credentials: { OPENAI_API_KEY: "x" } }),
      ).rejects.toBeInstanceOf(AlreadyExistsError);

      const updated = await os.providers.update(name, {
        config: { OPENAI_BASE_URL: "http://127.0.0.1:1/v1" },
      });
      expect(updated.config.OPENAI_BASE_URL).toBe("http://127.0.0.1:1/v1");
      await expect(
        os.providers.update(name, { config: { X: "1" }, expectedResourceVersion: created.resourceVersion }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await os.providers.list()).map((p) => p.name)).toContain(name);

      const sb = await sandbox("prov");
      await os.providers.attach(sb.name, name);
      expect((await os.providers.listForSandbox(sb.name)).map((p) => p.name)).toEqual([name]);
      await expect(os.providers.delete(name)).rejects.toBeInstanceOf(FailedPreconditionError);
      await os.providers.detach(sb.name, name);
      expect(await os.providers.delete(name)).toBe(true);
      expect(await os.providers.delete(name)).toBe(false);
      await expect(os.providers.get(name)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe("policy", () => {
    it("updates network policies, waits until loaded, and lists revisions", async () => {
      const sb = await sandbox("policy");
      await sb.ready({ timeoutMs: 60_000 });
      const before = await os.policy.get(sb.name);
      const rev = await os.policy.update(sb.name, {
        networkPolicies: {
          pypi: {
            name: "pypi",
            // No `binaries`: local mode cannot attribute a connection to a program and refuses them.
            endpoints: [{ host: "pypi.org", port: 443 }],
          },
        },
        wait: { timeoutMs: 30_000 },
      });
      expect(rev.status).toBe("loaded");
      expect(rev.version).toBeGreaterThan(before.version);
      const after = await os.policy.get(sb.name);
      expect(Object.keys(after.policy?.networkPolicies ?? {})).toEqual(["pypi"]);
      const status = await os.policy.status(sb.name);
      expect(status.activeVersion).toBe(rev.version);
      const revisions = await os.policy.revisions(sb.name);
      expect(revisions[0]?.version).toBe(rev.version);
    });
  });

  describe("inference", () => {
    it("sets, reads and deletes the default route", async () => {
      const provider = uniqueName("llm");
      await os.providers.create({
        name: provider,
        type: "openai",
        credentials: { OPENAI_API_KEY: "sk-test" },
      });
      const route = await os.inference.setRoute({ provider, model: "gpt-4o-mini", verify: false });
      expect(route.routeName).toBe("inference.local");
      expect((await os.inference.getRoute()).model).toBe("gpt-4o-mini");
      expect(await os.inference.deleteRoute()).toBe(true);
      await expect(os.inference.getRoute()).rejects.toBeInstanceOf(NotFoundError);
      await os.providers.delete(provider);
    });
  });
}

async function waitForPhase(sb: Sandbox, phase: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sb.refresh()).phase === phase) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `sandbox ${sb.name} did not reach ${phase} within ${timeoutMs} ms (last: ${sb.info?.phase})`,
  );
}

/** The server inside the sandbox may need a moment after READY to bind its port. */
async function retryFetch(url: string, attempts = 50): Promise<string> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url);
      return await res.text();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

/** Sends `size` random bytes through the forward and compares digests of what went and came back. */
async function echoRoundTrip(port: number, size: number): Promise<{ sent: string; received: string }> {
  const payload = randomBytes(size);
  const sent = createHash("sha256").update(payload).digest("hex");
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise((resolve, reject) => {
        const socket = tcpConnect({ host: "127.0.0.1", port });
        const hash = createHash("sha256");
        let received = 0;
        socket.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          received += chunk.length;
          if (received >= size) {
            socket.end();
            resolve({ sent, received: hash.digest("hex") });
          }
        });
        socket.on("error", reject);
        socket.on("close", () => {
          if (received < size) reject(new Error(`connection closed after ${received} of ${size} bytes`));
        });
        socket.write(payload);
      });
    } catch (err) {
      // The echo server may still be starting; the first connection then ends at once.
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
