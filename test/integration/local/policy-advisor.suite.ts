import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DraftChunk, FailedPreconditionError, OpenShell, type Sandbox } from "../../../src/index.js";
import { SANDBOX_SCOPED_RECORD_KINDS } from "../../../src/local/state/sandbox-scoped-records.js";
import { LocalStateStore } from "../../../src/local/state/state-store.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";
import { IDLE, type LocalKind, uniqueName, until } from "./local-gateway-support.js";

/** A policy user the test image has (uid 1000): root is refused. */
const PROCESS = { runAsUser: "sandbox", runAsGroup: "sandbox" };

/**
 * The policy advisor in local mode on one engine, as a user sees it: a sandbox whose request the
 * egress proxy denies gets a pending draft chunk proposing the rule that would allow it; approving
 * it loads a new policy revision into the running proxy, after which the same request succeeds.
 * A test HTTP server on this host stands in for the internet (the proxy knows it by the names given
 * through `egressHosts`). Drafts are kept in the state directory: a restarted gateway has them, a
 * deleted sandbox takes them along.
 */
export function describePolicyAdvisor(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const local = {
    runtime: kind,
    runtimeOptions: { endpoint },
    egressHosts: {
      "denied.test": "127.0.0.1",
      "other.test": "127.0.0.1",
      "third.test": "127.0.0.1",
      "fourth.test": "127.0.0.1",
    },
  } as const;
  let server: Server;
  let port: number;
  const seen: string[] = [];
  let stateDir: string;
  let os: OpenShell;
  let sb: Sandbox;
  const name = uniqueName("advisor");

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end(`hello from ${req.headers.host}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as AddressInfo).port;
    stateDir = mkdtempSync(join(tmpdir(), "openshell-advisor-"));
    os = await OpenShell.local({ ...local, stateDir });
    sb = await os.sandboxes.create({
      name,
      image: testImages.busybox,
      command: IDLE,
      policy: { process: PROCESS, networkPolicies: {} },
    });
    await sb.ready({ timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    // A gateway over the same state removes whatever the tests left running.
    const last = await OpenShell.local({ ...local, stateDir });
    await last.localGateway?.close({ removeSandboxes: true });
    await last.close();
    rmSync(stateDir, { recursive: true, force: true });
    await new Promise((resolve) => server?.close(resolve));
  }, 60_000);

  const wget = (host: string, path: string) =>
    sb.exec(["sh", "-c", `wget -q -O - http://${host}:${port}${path} 2>&1; echo "exit=$?"`]);
  const ruleName = () => `allow_denied_test_${port}`;
  /** The sandbox's chunk for denied.test once it has `hits` hits (the proxy records after it answers). */
  const chunkWithHits = (hits: number) =>
    until(`a draft chunk with ${hits} hit(s)`, async () => {
      const chunk = (await os.policy.drafts.get(sb.name)).chunks.find((c) => c.ruleName === ruleName());
      return chunk !== undefined && chunk.hitCount >= hits ? chunk : undefined;
    });

  it("turns a denied request into one pending chunk, whose hit count grows on a second try", async () => {
    const first = await wget("denied.test", "/data?token=abc");
    expect(first.stdout).toContain("403");
    expect(first.stdout).toContain("exit=1");
    const chunk = await chunkWithHits(1);
    expect(chunk).toMatchObject({ status: "pending", binary: "", hitCount: 1, securityNotes: "" });
    expect(chunk.proposedRule?.endpoints).toMatchObject([
      { host: "denied.test", port, protocol: "rest", access: "read-only", enforcement: "enforce" },
    ]);
    expect(chunk.proposedRule?.binaries).toEqual([]);
    expect(chunk.rationale).toContain(
      `HTTP GET requests from the sandbox to denied.test:${port} were denied`,
    );
    // The query string may carry secrets: it is not part of a proposal.
    expect(JSON.stringify(chunk.message.proposedRule)).not.toContain("token");

    await wget("denied.test", "/data");
    const again = await chunkWithHits(2);
    expect(again.id).toBe(chunk.id);
    expect(again.message.lastSeenMs).toBeGreaterThanOrEqual(chunk.message.lastSeenMs);
    expect((await os.policy.drafts.get(sb.name)).chunks).toHaveLength(1);
    expect(seen.some((line) => line.includes("denied.test"))).toBe(false);
  });

  it("refuses an approval with a stale review token, saying to read the draft again", async () => {
    const chunk = await chunkWithHits(2);
    const error = await rejection(
      os.policy.drafts.approve(sb.name, { id: chunk.id, reviewToken: "0".repeat(32) }),
    );
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as Error).message).toContain("fetch the draft again with GetDraftPolicy and retry");
    expect((await os.policy.drafts.get(sb.name)).chunks[0]?.status).toBe("pending");
  });

  it("approves with the token: a new revision, LOADED in the running proxy, and the request succeeds", async () => {
    const chunk = await chunkWithHits(2);
    const before = (await os.policy.status(sb.name)).activeVersion;
    const approved = await os.policy.drafts.approve(sb.name, chunk, { wait: true });
    expect(approved).toMatchObject({ version: before + 1, status: "loaded" });
    const status = await os.policy.status(sb.name);
    expect(status).toMatchObject({ activeVersion: approved.version, revision: { status: "loaded" } });
    expect(Object.keys(status.revision.policy?.networkPolicies ?? {})).toEqual([ruleName()]);
    const result = await wget("denied.test", "/now");
    expect(result.stdout).toBe(`hello from denied.test:${port}\nexit=0\n`);
    expect(seen).toContain(`GET denied.test:${port} /now`);
    const [after] = (await os.policy.drafts.get(sb.name)).chunks;
    expect(after).toMatchObject({ id: chunk.id, status: "approved" });
    expect(after?.decidedAt).toBeInstanceOf(Date);
  });

  it("undoes the approval as a new revision: denied again, and the chunk is pending again", async () => {
    const [chunk] = (await os.policy.drafts.get(sb.name)).chunks;
    const undone = await os.policy.drafts.undo(sb.name, chunk?.id ?? "", { wait: true });
    expect(undone.status).toBe("loaded");
    expect((await os.policy.status(sb.name)).revision.policy?.networkPolicies).toEqual({});
    expect((await wget("denied.test", "/undone")).stdout).toContain("403");
    const pending = await chunkWithHits(3);
    expect(pending).toMatchObject({ id: chunk?.id, status: "pending", decidedAt: undefined });
  });

  it("rejects with a reason shown on the chunk, edits and clears pending chunks, and keeps the history", async () => {
    const chunk = await chunkWithHits(3);
    await os.policy.drafts.reject(sb.name, chunk.id, { reason: "use the mirror instead" });
    expect((await os.policy.drafts.get(sb.name, { status: "rejected" })).chunks).toMatchObject([
      { id: chunk.id, rejectionReason: "use the mirror instead" },
    ]);
    // A rejected chunk cannot be edited; a new pending one (another host) can, and its token changes.
    expect(await rejection(os.policy.drafts.edit(sb.name, chunk.id, { endpoints: [] }))).toBeInstanceOf(
      FailedPreconditionError,
    );
    await wget("other.test", "/x");
    const other = await until("a chunk for other.test", async () =>
      (await os.policy.drafts.get(sb.name, { status: "pending" })).chunks.find((c) =>
        c.ruleName.includes("other"),
      ),
    );
    await os.policy.drafts.edit(sb.name, other.id, {
      name: other.ruleName,
      endpoints: [{ host: "other.test", port, access: "full" }],
    });
    const [edited] = (await os.policy.drafts.get(sb.name, { status: "pending" })).chunks;
    expect(edited?.proposedRule?.endpoints[0]?.access).toBe("full");
    expect(edited?.reviewToken).not.toBe(other.reviewToken);
    expect(await os.policy.drafts.clear(sb.name)).toBe(1);
    expect((await os.policy.drafts.get(sb.name)).chunks.map((c) => c.status)).toEqual(["rejected"]);

    const history = await os.policy.drafts.history(sb.name);
    expect(history.map((e) => e.type)).toEqual([
      "proposed",
      "approved",
      "undone",
      "rejected",
      "proposed",
      "edited",
      "cleared",
    ]);
    expect(history[3]).toMatchObject({
      chunkId: chunk.id,
      description: expect.stringContaining("use the mirror"),
    });
  });

  it("approves many at once with their tokens, skipping those without one", async () => {
    await wget("other.test", "/y");
    await wget("denied.test", "/again");
    const pending = await until("a pending chunk for other.test", async () => {
      const chunks = (await os.policy.drafts.get(sb.name, { status: "pending" })).chunks;
      return chunks.length === 1 ? chunks : undefined;
    });
    // denied.test is rejected: its hits count there, not as a new proposal.
    expect((await os.policy.drafts.get(sb.name, { status: "rejected" })).chunks[0]?.hitCount).toBe(4);
    const result = await os.policy.drafts.approveAll(sb.name, {
      chunks: pending as DraftChunk[],
      wait: true,
    });
    expect(result).toMatchObject({ approved: 1, skipped: 0, status: "loaded" });
    expect((await wget("other.test", "/z")).stdout).toBe(`hello from other.test:${port}\nexit=0\n`);
  });

  it("resends the sandbox on a status watch when a denial proposes a new rule", async () => {
    const controller = new AbortController();
    const events = os.sandboxes.watch(sb.name, { signal: controller.signal });
    try {
      const first = await events.next();
      expect(first.value).toMatchObject({ type: "sandbox" });
      const next = events.next();
      await wget("third.test", "/watched");
      const resent = await Promise.race([
        next,
        new Promise((resolve) => setTimeout(() => resolve("no event within 10s"), 10_000)),
      ]);
      expect(resent).toMatchObject({ value: { type: "sandbox", sandbox: { name: sb.name } } });
    } finally {
      controller.abort();
      await events.return(undefined);
    }
  });

  it("yields a newly proposed chunk on os.policy.drafts.watch", async () => {
    const controller = new AbortController();
    const chunks = os.policy.drafts.watch(sb.name, { intervalMs: 100, signal: controller.signal });
    try {
      const next = chunks.next();
      // The watch's first read sees what is pending now; the denial comes after it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await wget("fourth.test", "/watched");
      const { value } = await next;
      expect(value).toMatchObject({ ruleName: `allow_fourth_test_${port}`, status: "pending", hitCount: 1 });
    } finally {
      controller.abort();
      await chunks.return(undefined);
    }
  });

  it("keeps the drafts across a gateway restart", async () => {
    const before = await os.policy.drafts.get(sb.name);
    await os.close();
    os = await OpenShell.local({ ...local, stateDir });
    const after = await os.policy.drafts.get(sb.name);
    expect(after.chunks.map((c) => [c.id, c.status, c.hitCount])).toEqual(
      before.chunks.map((c) => [c.id, c.status, c.hitCount]),
    );
    expect(after.draftVersion).toBe(before.draftVersion);
    expect((await os.policy.drafts.history(sb.name)).length).toBeGreaterThan(0);
    sb = await os.sandboxes.get(sb.name);
  });

  it("deletes the drafts with the sandbox: a new sandbox of the same name starts with none", async () => {
    const id = sb.info?.id ?? "";
    expect(id).not.toBe("");
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
    const store = LocalStateStore.open(stateDir);
    try {
      for (const recordKind of Object.values(SANDBOX_SCOPED_RECORD_KINDS)) {
        expect(store.records.count(recordKind, id), recordKind).toBe(0);
      }
    } finally {
      store.close();
    }
    sb = await os.sandboxes.create({
      name,
      image: testImages.busybox,
      command: IDLE,
      policy: { process: PROCESS, networkPolicies: {} },
    });
    expect(await os.policy.drafts.get(sb.name)).toMatchObject({ chunks: [], draftVersion: 0n });
    expect(await os.policy.drafts.history(sb.name)).toEqual([]);
  });
}
