import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

/** Approvals that resolve once the sandbox loaded the new revision (it loads within ~50 ms). */
const loaded = { wait: { pollIntervalMs: 20 } } as const;

/**
 * `os.policy.drafts` end to end: the SDK over real HTTP/2 and mTLS to the test gateway. Drafts are
 * seeded as the supervisor seeds them, with SubmitPolicyAnalysis through `os.raw`.
 */
describe("os.policy.drafts", () => {
  let gateway: TestGateway;
  let os: OpenShell;

  /** Proposes a rule letting `binary` reach `host:443`; resolves the chunk id the gateway gave. */
  async function propose(sandbox: string, rule: string, host: string, binary: string, securityNotes = "") {
    const res = await os.raw.openshell.submitPolicyAnalysis({
      name: sandbox,
      proposedChunks: [
        {
          ruleName: rule,
          binary,
          rationale: `${binary} was denied ${host}:443`,
          securityNotes,
          proposedRule: { name: rule, endpoints: [{ host, port: 443 }], binaries: [{ path: binary }] },
        },
      ],
    });
    const [id] = res.acceptedChunkIds;
    if (!id) throw new Error(`the gateway did not accept the chunk: ${res.rejectionReasons.join("; ")}`);
    return id;
  }
  /** Reject stores a revision without returning it: wait until the latest one is loaded. */
  const waitForLoad = async (sandbox: string) => {
    for (let i = 0; i < 100; i++) {
      if ((await os.policy.status(sandbox)).revision.status === "loaded") return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the latest policy of ${sandbox} did not load`);
  };
  const pendingChunk = async (sandbox: string, id: string) => {
    const found = (await os.policy.drafts.get(sandbox)).chunks.find((c) => c.id === id);
    if (!found) throw new Error(`chunk ${id} is not in the draft`);
    return found;
  };

  useTestGatewayClient(async (client) => {
    ({ gateway, os } = client);
    for (const name of ["one", "two", "three", "four"]) {
      await os.sandboxes.create({ name, command: ["sleep", "60"] });
    }
  });

  it("get reads pending chunks with their review tokens and filters by status", async () => {
    const id = await propose("one", "github", "api.github.com", "/usr/bin/curl");
    const draft = await os.policy.drafts.get("one");
    expect(draft.chunks).toHaveLength(1);
    const [chunk] = draft.chunks;
    expect(chunk).toMatchObject({
      id,
      status: "pending",
      ruleName: "github",
      binary: "/usr/bin/curl",
      hitCount: 1,
    });
    expect(chunk?.reviewToken).not.toBe("");
    expect(chunk?.proposedRule?.endpoints[0]?.host).toBe("api.github.com");
    expect(chunk?.candidatePolicy?.networkPolicies.github).toBeDefined();
    expect(chunk?.decidedAt).toBeUndefined();
    expect(draft.draftVersion).toBeGreaterThan(0n);
    expect((await os.policy.drafts.get("one", { status: "approved" })).chunks).toEqual([]);
  });

  it("approve puts the rule into a new policy revision the sandbox loads", async () => {
    const before = await os.policy.get("one");
    const chunk = (await os.policy.drafts.get("one", { status: "pending" })).chunks[0]!;
    const result = await os.policy.drafts.approve("one", chunk, loaded);
    expect(result.version).toBe(before.version + 1);
    expect(result.status).toBe("loaded");
    expect(result.policyHash).not.toBe("");
    const after = await os.policy.get("one");
    expect(after.version).toBe(result.version);
    expect(after.policy.networkPolicies.github?.binaries.map((b) => b.path)).toEqual(["/usr/bin/curl"]);
    const approved = await pendingChunk("one", chunk.id);
    expect(approved.status).toBe("approved");
    expect(approved.decidedAt).toBeInstanceOf(Date);
  });

  it("a stale review token fails with FailedPreconditionError; reading again and retrying works", async () => {
    const a = await propose("two", "pypi", "pypi.org", "/usr/bin/pip");
    const b = await propose("two", "npm", "registry.npmjs.org", "/usr/bin/npm");
    const readBefore = await os.policy.drafts.get("two");
    const staleB = readBefore.chunks.find((c) => c.id === b)!;
    // Approving a changes the policy, so the token read for b beforehand no longer holds.
    await os.policy.drafts.approve("two", readBefore.chunks.find((c) => c.id === a)!);
    const err = await rejection(os.policy.drafts.approve("two", staleB));
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain("stale");
    const fresh = await pendingChunk("two", b);
    expect(fresh.reviewToken).not.toBe(staleB.reviewToken);
    expect((await os.policy.drafts.approve("two", fresh)).version).toBeGreaterThan(0);
  });

  it("a missing review token is refused before any call, naming the field", async () => {
    const id = await propose("two", "docs", "docs.python.org", "/usr/bin/python3");
    const last = gateway.state.lastCall;
    const err = await rejection(os.policy.drafts.approve("two", { id, reviewToken: "" }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("chunk.reviewToken");
    expect(gateway.state.lastCall).toBe(last);
    // The gateway refuses an empty token too: a caller of os.raw gets FAILED_PRECONDITION, as from
    // upstream (which treats it as a token that does not match the chunk read) and local mode.
    const raw = await rejection(
      os.raw.openshell.approveDraftChunk({ name: "two", chunkId: id, reviewToken: "" }),
    );
    expect(ConnectError.from(raw).code).toBe(Code.FailedPrecondition);
    expect(String(raw)).toContain("review_token is required");
    expect((await pendingChunk("two", id)).status).toBe("pending");
  });

  it("reject records the reason; rejecting an approved chunk takes its binary out of the policy", async () => {
    const id = await propose("three", "s3", "s3.amazonaws.com", "/usr/bin/aws");
    await os.policy.drafts.reject("three", id, { reason: "use the internal mirror" });
    const rejected = await pendingChunk("three", id);
    expect(rejected).toMatchObject({ status: "rejected", rejectionReason: "use the internal mirror" });

    const other = await propose("three", "gcs", "storage.googleapis.com", "/usr/bin/gsutil");
    await os.policy.drafts.approve("three", await pendingChunk("three", other), loaded);
    expect((await os.policy.get("three")).policy.networkPolicies.gcs).toBeDefined();
    await os.policy.drafts.reject("three", other, { reason: "no longer needed" });
    await waitForLoad("three");
    expect((await os.policy.get("three")).policy.networkPolicies.gcs).toBeUndefined();
  });

  it("edit replaces a pending chunk's rule; edit of an approved chunk is refused", async () => {
    const id = await propose("three", "hf", "huggingface.co", "/usr/bin/python3");
    await os.policy.drafts.edit("three", id, {
      name: "hf",
      endpoints: [{ host: "cdn-lfs.huggingface.co", port: 443 }],
      binaries: [{ path: "/usr/bin/python3" }],
    });
    const edited = await pendingChunk("three", id);
    expect(edited.proposedRule?.endpoints.map((e) => e.host)).toEqual(["cdn-lfs.huggingface.co"]);
    await os.policy.drafts.approve("three", edited);
    const err = await rejection(os.policy.drafts.edit("three", id, { name: "hf" }));
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain("only pending chunks");
  });

  it("undo takes an approved rule back out and re-pends the chunk", async () => {
    const id = await propose("four", "apt", "deb.debian.org", "/usr/bin/apt");
    const approved = await os.policy.drafts.approve("four", await pendingChunk("four", id), loaded);
    expect((await os.policy.get("four")).policy.networkPolicies.apt).toBeDefined();
    const undone = await os.policy.drafts.undo("four", id, loaded);
    expect(undone).toMatchObject({ version: approved.version + 1, status: "loaded" });
    expect((await os.policy.get("four")).policy.networkPolicies.apt).toBeUndefined();
    expect((await pendingChunk("four", id)).status).toBe("pending");
    expect(await rejection(os.policy.drafts.undo("four", id))).toBeInstanceOf(FailedPreconditionError);
  });

  it("approveAll approves the clean pending chunks in one revision and skips flagged ones", async () => {
    await os.policy.drafts.clear("four");
    await propose("four", "crates", "crates.io", "/usr/bin/cargo");
    await propose("four", "go", "proxy.golang.org", "/usr/bin/go");
    const flagged = await propose("four", "paste", "pastebin.com", "/usr/bin/curl", "uploads data anywhere");
    const before = await os.policy.get("four");
    const result = await os.policy.drafts.approveAll("four", loaded);
    expect(result).toMatchObject({ version: before.version + 1, status: "loaded", approved: 2, skipped: 1 });
    const policy = (await os.policy.get("four")).policy.networkPolicies;
    expect(Object.keys(policy).sort()).toEqual(["crates", "go"]);
    expect((await pendingChunk("four", flagged)).status).toBe("pending");

    const withFlagged = await os.policy.drafts.approveAll("four", { includeSecurityFlagged: true });
    expect(withFlagged).toMatchObject({ approved: 1, skipped: 0 });
    expect((await pendingChunk("four", flagged)).status).toBe("approved");
  });

  it("approveAll with stale or missing tokens skips those chunks", async () => {
    const a = await propose("one", "maven", "repo1.maven.org", "/usr/bin/mvn");
    const b = await propose("one", "gradle", "plugins.gradle.org", "/usr/bin/gradle");
    const read = await os.policy.drafts.get("one", { status: "pending" });
    const chunkA = read.chunks.find((c) => c.id === a)!;
    // Only a is listed: b, untokened, is skipped.
    const result = await os.policy.drafts.approveAll("one", { chunks: [chunkA] });
    expect(result).toMatchObject({ approved: 1, skipped: 1 });
    // The policy changed, so the token read for b is stale now.
    const staleB = read.chunks.find((c) => c.id === b)!;
    const again = await os.policy.drafts.approveAll("one", { chunks: [staleB] });
    expect(again).toMatchObject({ version: 0, status: "unchanged", approved: 0, skipped: 1 });
    expect((await pendingChunk("one", b)).status).toBe("pending");
  });

  it("clear drops the pending chunks and keeps decided ones", async () => {
    await propose("three", "extra", "example.org", "/usr/bin/wget");
    const pendingBefore = (await os.policy.drafts.get("three", { status: "pending" })).chunks.length;
    expect(pendingBefore).toBeGreaterThan(0);
    expect(await os.policy.drafts.clear("three")).toBe(pendingBefore);
    expect((await os.policy.drafts.get("three", { status: "pending" })).chunks).toEqual([]);
    expect((await os.policy.drafts.get("three")).chunks.length).toBeGreaterThan(0);
    expect(await os.policy.drafts.clear("three")).toBe(0);
  });

  it("history lists what happened to the chunks, oldest first", async () => {
    const events = await os.policy.drafts.history("four");
    // apt: proposed, approved, undone back to pending, then cleared by the approveAll test.
    expect(events.slice(0, 4).map((e) => e.type)).toEqual(["proposed", "approved", "undone", "cleared"]);
    expect(new Set(events.slice(0, 4).map((e) => e.chunkId)).size).toBe(1);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.at.getTime()).toBeGreaterThanOrEqual(events[i - 1]!.at.getTime());
    }
    expect(events.every((e) => e.chunkId !== "")).toBe(true);
  });

  it("watch yields a chunk proposed after it started, not the ones before, and ends on abort", async () => {
    await propose("two", "existing", "old.example.com", "/usr/bin/old");
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const chunk of os.policy.drafts.watch("two", {
        intervalMs: 100,
        signal: controller.signal,
      })) {
        seen.push(chunk.ruleName);
        if (chunk.ruleName === "late") controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await propose("two", "late", "new.example.com", "/usr/bin/new");
    const ended = await Promise.race([
      watching.then(() => "ended"),
      new Promise((r) => setTimeout(() => r("still running"), 5000)),
    ]);
    expect(ended).toBe("ended");
    expect(seen).toEqual(["late"]);
  });

  it("watch ends quietly when aborted while waiting, and includeExisting yields what is there", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const chunk of os.policy.drafts.watch("two", {
        intervalMs: 60_000,
        includeExisting: true,
        signal: controller.signal,
      })) {
        seen.push(chunk.ruleName);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await expect(watching).resolves.toBeUndefined();
    expect(seen.sort()).toEqual(["docs", "existing", "late"]);
  });

  it("bad inputs name their field; a missing sandbox or chunk is NotFoundError", async () => {
    expect(() => os.policy.drafts.watch("two", { intervalMs: 5 })).toThrow(InvalidArgumentError);
    expect(() => os.policy.drafts.watch("two", { intervalMs: 5 })).toThrow(/intervalMs/);
    const noId = await rejection(os.policy.drafts.reject("two", ""));
    expect((noId as InvalidArgumentError).field).toBe("chunkId");
    expect(await rejection(os.policy.drafts.get("ghost"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(os.policy.drafts.reject("two", "no-such-chunk"))).toBeInstanceOf(NotFoundError);
  });
});
