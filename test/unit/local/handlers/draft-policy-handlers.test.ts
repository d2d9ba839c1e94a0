import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenShell } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { DRAFT_HISTORY_KEPT, DraftStore } from "../../../../src/local/drafts/draft-store.js";
import { compileSandboxPolicy } from "../../../../src/local/egress/binary-rules.js";
import type { EgressRequest } from "../../../../src/local/egress/egress-policy.js";
import { draftPolicyHandlers } from "../../../../src/local/handlers/draft-policy-handlers.js";
import {
  policyHandlers,
  recordInitialPolicy,
  storedPolicies,
} from "../../../../src/local/handlers/policy-handlers.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { FakeSandboxDirectory, outcome } from "./handler-harness.js";

// Requests as the egress proxy reports them (recorded from the egress suite).
const GET: EgressRequest = { kind: "http", host: "denied.test", port: 8080, method: "GET", path: "/secret" };
const REASON = "no endpoint of any rule matches denied.test:8080";

let dir: string;
let store: LocalStateStore;
let sandboxes: FakeSandboxDirectory;
let drafts: DraftStore;
let client: Client<typeof OpenShell>;
let changed: string[];

function connect(): void {
  store = LocalStateStore.open(join(dir, "state"));
  drafts = new DraftStore(store.records);
  const deps = { store, sandboxes };
  const load = (policy: { networkPolicies: Parameters<typeof compileSandboxPolicy>[0] }) =>
    void compileSandboxPolicy(policy.networkPolicies);
  const transport = createRouterTransport((router) => {
    router.service(OpenShell, {
      ...policyHandlers({ ...deps, loadPolicy: load }),
      ...draftPolicyHandlers({
        sandboxes,
        drafts,
        policies: storedPolicies({ ...deps, loadPolicy: load }),
        loadPolicy: load,
        onDraftChanged: (id) => changed.push(id),
      }),
    });
  });
  client = createClient(OpenShell, transport);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "openshell-drafts-"));
  sandboxes = new FakeSandboxDirectory();
  changed = [];
  connect();
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

function sandbox(name = "web") {
  const sb = sandboxes.add(name, { policy: { networkPolicies: {} } });
  recordInitialPolicy(store, sb);
  return sb;
}

const pending = async (name = "web") =>
  (await client.getDraftPolicy({ name, statusFilter: "pending" })).chunks;

describe("local draft policy", () => {
  it("turns repeated denials into one pending chunk per host and port, counting hits", async () => {
    const sb = sandbox();
    // Only what proposes something new is news for the sandbox's watchers; a repeat is a hit.
    expect(drafts.recordDenial(sb.id, GET, REASON).proposed).toBe(true);
    expect(drafts.recordDenial(sb.id, { ...GET, path: "/other" }, REASON).proposed).toBe(false);
    expect(drafts.recordDenial(sb.id, { ...GET, port: 9090 }, REASON).proposed).toBe(true);
    const res = await client.getDraftPolicy({ name: "web" });
    expect(res.chunks.map((c) => [c.ruleName, c.status, c.hitCount, c.binary])).toEqual([
      ["allow_denied_test_8080", "pending", 2, ""],
      ["allow_denied_test_9090", "pending", 1, ""],
    ]);
    const [first] = res.chunks;
    expect(first?.lastSeenMs).toBeGreaterThanOrEqual(first?.firstSeenMs ?? 0n);
    expect(first?.reviewToken).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(first?.candidateEffectivePolicy?.networkPolicies ?? {})).toEqual([
      "allow_denied_test_8080",
    ]);
    expect(res.draftVersion).toBe(3n);
    expect(res.rollingSummary).toBe("2 pending, 0 approved, 0 rejected");
  });

  it("approves with the current token only, as a new loaded revision holding the rule", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    const [chunk] = await pending();
    const id = chunk?.id ?? "";
    expect(await outcome(client.approveDraftChunk({ name: "web", chunkId: id }))).toMatchObject({
      code: "FailedPrecondition",
      message: expect.stringContaining("review_token is required"),
    });
    expect(
      await outcome(client.approveDraftChunk({ name: "web", chunkId: id, reviewToken: "0".repeat(32) })),
    ).toMatchObject({
      code: "FailedPrecondition",
      message: expect.stringContaining("fetch the draft again with GetDraftPolicy and retry"),
    });
    // A growing hit count does not make the token stale.
    drafts.recordDenial(sb.id, GET, REASON);
    const approved = await client.approveDraftChunk({
      name: "web",
      chunkId: id,
      reviewToken: chunk?.reviewToken ?? "",
    });
    expect(approved.policyVersion).toBe(2);
    const status = await client.getSandboxPolicyStatus({ name: "web" });
    expect(status.activeVersion).toBe(2);
    expect(status.revision?.policy?.networkPolicies.allow_denied_test_8080?.endpoints[0]).toMatchObject({
      host: "denied.test",
      port: 8080,
      access: "read-only",
    });
    expect(await pending()).toEqual([]);
    expect(sb.resourceVersion).toBe(2n);
    expect(changed).toEqual([sb.id]);
    // Approved once: the token is no longer good.
    expect(
      (
        await outcome(
          client.approveDraftChunk({ name: "web", chunkId: id, reviewToken: chunk?.reviewToken ?? "" }),
        )
      ).code,
    ).toBe("FailedPrecondition");
  });

  it("makes other chunks' tokens stale once the policy changed; approveAll counts them skipped", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    drafts.recordDenial(sb.id, { ...GET, host: "other.test" }, REASON);
    const [a, b] = await pending();
    await client.approveDraftChunk({ name: "web", chunkId: a?.id ?? "", reviewToken: a?.reviewToken ?? "" });
    const stale = await client.approveAllDraftChunks({
      name: "web",
      approvals: [{ chunkId: b?.id ?? "", reviewToken: b?.reviewToken ?? "" }],
    });
    expect(stale).toMatchObject({ chunksApproved: 0, chunksSkipped: 1, policyVersion: 0 });
    const [fresh] = await pending();
    drafts.recordDenial(sb.id, { ...GET, host: "third.test" }, REASON);
    const all = await client.approveAllDraftChunks({
      name: "web",
      approvals: [{ chunkId: fresh?.id ?? "", reviewToken: fresh?.reviewToken ?? "" }],
    });
    // The third chunk had no token: skipped, the other approved in one revision.
    expect(all).toMatchObject({ chunksApproved: 1, chunksSkipped: 1, policyVersion: 3 });
  });

  it("widens a pending proposal as more methods are refused, which changes its token", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    const [before] = await pending();
    expect(drafts.recordDenial(sb.id, { ...GET, method: "POST" }, REASON).proposed).toBe(true);
    const [after] = await pending();
    expect(after?.proposedRule?.endpoints[0]?.access).toBe("read-write");
    expect(after?.reviewToken).not.toBe(before?.reviewToken);
    expect((await client.getDraftHistory({ name: "web" })).entries.map((e) => e.eventType)).toEqual([
      "proposed",
      "updated",
    ]);
  });

  it("undoes an approval as a new revision without the rule, and the chunk is pending again", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    const [chunk] = await pending();
    await client.approveDraftChunk({
      name: "web",
      chunkId: chunk?.id ?? "",
      reviewToken: chunk?.reviewToken ?? "",
    });
    const undone = await client.undoDraftChunk({ name: "web", chunkId: chunk?.id ?? "" });
    expect(undone.policyVersion).toBe(3);
    const status = await client.getSandboxPolicyStatus({ name: "web" });
    expect(status.revision?.policy?.networkPolicies).toEqual({});
    expect((await pending()).map((c) => c.id)).toEqual([chunk?.id]);
    expect(
      (await outcome(client.undoDraftChunk({ name: "web", chunkId: chunk?.id ?? "" }))).message,
    ).toContain("only approved chunks can be undone");
  });

  it("rejects with a reason, keeps counting hits on it, and refuses to edit or approve it", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    const [chunk] = await pending();
    const id = chunk?.id ?? "";
    await client.rejectDraftChunk({ name: "web", chunkId: id, reason: "not needed" });
    drafts.recordDenial(sb.id, GET, REASON);
    const [rejected] = (await client.getDraftPolicy({ name: "web", statusFilter: "rejected" })).chunks;
    expect(rejected).toMatchObject({ id, status: "rejected", rejectionReason: "not needed", hitCount: 2 });
    expect(rejected?.decidedAtMs).toBeGreaterThan(0n);
    expect(
      (await outcome(client.editDraftChunk({ name: "web", chunkId: id, proposedRule: { endpoints: [] } })))
        .code,
    ).toBe("FailedPrecondition");
    expect((await outcome(client.rejectDraftChunk({ name: "web", chunkId: id }))).message).toContain(
      "already rejected",
    );
  });

  it("edits a pending chunk's rule, refusing one local mode cannot enforce with the field named", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    const [chunk] = await pending();
    const id = chunk?.id ?? "";
    const refused = await outcome(
      client.editDraftChunk({
        name: "web",
        chunkId: id,
        proposedRule: {
          endpoints: [{ host: "denied.test", port: 8080, enforcement: "enforce" }],
          // Not an absolute path: no process's binary could ever match it.
          binaries: [{ path: "curl" }],
        },
      }),
    );
    expect(refused.code).toBe("InvalidArgument");
    expect(refused.message).toContain("binaries[0].path");
    await client.editDraftChunk({
      name: "web",
      chunkId: id,
      proposedRule: { endpoints: [{ host: "denied.test", port: 8080, access: "full" }] },
    });
    const [edited] = await pending();
    expect(edited?.proposedRule?.endpoints[0]?.access).toBe("full");
    expect(edited?.reviewToken).not.toBe(chunk?.reviewToken);
    // A reviewer's rule is not widened by later denials.
    drafts.recordDenial(sb.id, { ...GET, method: "POST" }, REASON);
    expect((await pending())[0]?.proposedRule?.endpoints[0]?.access).toBe("full");
  });

  it("clears pending chunks only, and records every action in the history", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    drafts.recordDenial(sb.id, { ...GET, host: "other.test" }, REASON);
    // By host: two chunks proposed in the same millisecond list in no fixed order.
    const a = (await pending()).find((c) => c.proposedRule?.endpoints[0]?.host === "denied.test");
    await client.approveDraftChunk({ name: "web", chunkId: a?.id ?? "", reviewToken: a?.reviewToken ?? "" });
    expect(await client.clearDraftChunks({ name: "web" })).toMatchObject({ chunksCleared: 1 });
    expect((await client.getDraftPolicy({ name: "web" })).chunks.map((c) => c.status)).toEqual(["approved"]);
    const history = (await client.getDraftHistory({ name: "web" })).entries;
    expect(history.map((e) => e.eventType)).toEqual(["proposed", "proposed", "approved", "cleared"]);
    expect(history[2]?.description).toBe('rule "allow_denied_test_8080" approved into policy version 2');
  });

  it("keeps drafts across a reopened store and drops them with the sandbox", async () => {
    const sb = sandbox();
    drafts.recordDenial(sb.id, GET, REASON);
    store.close();
    connect();
    expect((await pending()).map((c) => c.hitCount)).toEqual([1]);
    store.markSandboxDeleted(sb.id, Date.now());
    expect(drafts.chunks(sb.id)).toEqual([]);
    expect(drafts.log(sb.id)).toEqual({ version: 0, lastDenialMs: 0, history: [] });
  });

  it("answers NOT_FOUND for an unknown chunk and INVALID_ARGUMENT without a name or chunk id", async () => {
    sandbox();
    expect(
      await outcome(client.approveDraftChunk({ name: "web", chunkId: "nope", reviewToken: "t" })),
    ).toMatchObject({
      code: "NotFound",
      message: expect.stringContaining('draft chunk "nope" not found for sandbox "web"'),
    });
    expect((await outcome(client.undoDraftChunk({ name: "web" }))).code).toBe("InvalidArgument");
    expect((await outcome(client.getDraftPolicy({}))).code).toBe("InvalidArgument");
    expect((await outcome(client.getDraftPolicy({ name: "gone" }))).code).toBe("NotFound");
  });

  it("keeps the newest history entries only", async () => {
    const sb = sandbox();
    const events = Array.from({ length: DRAFT_HISTORY_KEPT + 5 }, (_, i) => ({
      chunkId: `c${i}`,
      chunk: undefined,
      event: "cleared",
      description: `event ${i}`,
    }));
    drafts.change(sb.id, events);
    const history = (await client.getDraftHistory({ name: "web" })).entries;
    expect(history).toHaveLength(DRAFT_HISTORY_KEPT);
    expect(history[0]?.description).toBe("event 5");
  });
});
