import { randomUUID } from "node:crypto";
import type { JsonValue } from "@bufbuild/protobuf";
import type { EgressRequest } from "../egress/egress-policy.js";
import type { RecordStore } from "../state/record-store.js";
import { SANDBOX_SCOPED_RECORD_KINDS } from "../state/sandbox-scoped-records.js";
import {
  type DeniedTraffic,
  deniedTraffic,
  draftRuleName,
  mergeTraffic,
  sameTraffic,
} from "./denied-traffic.js";

const CHUNK = SANDBOX_SCOPED_RECORD_KINDS.draftChunk;
const LOG = SANDBOX_SCOPED_RECORD_KINDS.draftLog;
const LOG_NAME = "draft";
/** History entries kept per sandbox: enough for any review, bounded for a sandbox that loops. */
export const DRAFT_HISTORY_KEPT = 1000;

/** Where a draft chunk stands (SEMANTICS §13). */
export type DraftChunkStatus = "pending" | "approved" | "rejected";

/** One draft chunk as stored (record kind `draft-chunk`, scope the sandbox id, name the chunk id). */
export interface StoredDraftChunk {
  id: string;
  status: DraftChunkStatus;
  ruleName: string;
  /** The proposed NetworkPolicyRule as protobuf JSON; set from `traffic` until someone edits it. */
  rule: JsonValue | undefined;
  edited: boolean;
  traffic: DeniedTraffic;
  /** The proxy's reason for the first denial. */
  reason: string;
  hitCount: number;
  createdAtMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** 0 while pending. */
  decidedAtMs: number;
  rejectionReason: string;
}

/** One event of a sandbox's draft (DraftHistoryEntry). */
export interface DraftEvent {
  timestampMs: number;
  eventType: string;
  description: string;
  chunkId: string;
}

/** A sandbox's draft version (bumped by every change), its history, and its last denial. */
export interface DraftLog {
  version: number;
  lastDenialMs: number;
  history: DraftEvent[];
}

const emptyLog = (): DraftLog => ({ version: 0, lastDenialMs: 0, history: [] });

/**
 * Local mode's draft policies, durable in the state store's records: the egress proxy's denials
 * become pending chunks here, the advisor calls review them. Every method is one transaction.
 */
export class DraftStore {
  constructor(
    private readonly records: RecordStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts a denied request on the sandbox's chunk for its host and port, or proposes a new one.
   * An approved chunk is not counted again (its rule does not cover the request, or was taken out
   * of the policy by hand since): the denial proposes a new chunk covering both. A rejected one
   * counts the hit and stays rejected: the reviewer said no. Returns the chunk, and whether the
   * denial proposed something new (a new chunk, or a pending one's rule widened) rather than only
   * counting a hit.
   */
  recordDenial(
    sandboxId: string,
    request: EgressRequest,
    reason: string,
  ): { chunk: StoredDraftChunk; proposed: boolean } {
    const traffic = deniedTraffic(request);
    return this.records.atomically(() => {
      const nowMs = this.now();
      const log = this.log(sandboxId);
      log.version += 1;
      log.lastDenialMs = nowMs;
      const chunks = this.chunks(sandboxId);
      const sameKey = (c: StoredDraftChunk) =>
        c.traffic.host === traffic.host && c.traffic.port === traffic.port;
      const existing = chunks.find((c) => c.status !== "approved" && sameKey(c));
      // Refused although a chunk for it was approved: its rule does not cover this (or was removed
      // by hand since); the new proposal covers both, so approving it replaces the approved endpoint.
      const approved = chunks.filter((c) => c.status === "approved" && sameKey(c) && !c.edited);
      let chunk: StoredDraftChunk;
      let proposed = true;
      if (existing !== undefined) {
        chunk = { ...existing, hitCount: existing.hitCount + 1, lastSeenMs: nowMs };
        // A pending proposal grows to cover what was refused since, unless a reviewer wrote its rule.
        if (!sameTraffic(existing.traffic, traffic) && existing.status === "pending" && !existing.edited) {
          chunk.traffic = mergeTraffic(existing.traffic, traffic);
          note(log, nowMs, "updated", chunk.id, `proposal widened to ${describe(chunk.traffic)}`);
        } else {
          proposed = false;
        }
      } else {
        chunk = {
          id: randomUUID(),
          status: "pending",
          ruleName: draftRuleName(traffic.host, traffic.port),
          rule: undefined,
          edited: false,
          traffic: approved.reduce((seen, c) => mergeTraffic(seen, c.traffic), traffic),
          reason,
          hitCount: 1,
          createdAtMs: nowMs,
          firstSeenMs: nowMs,
          lastSeenMs: nowMs,
          decidedAtMs: 0,
          rejectionReason: "",
        };
        note(
          log,
          nowMs,
          "proposed",
          chunk.id,
          `rule "${chunk.ruleName}" proposed for ${describe(chunk.traffic)}`,
        );
      }
      this.records.put(CHUNK, sandboxId, chunk.id, chunk);
      this.records.put(LOG, sandboxId, LOG_NAME, log);
      return { chunk, proposed };
    });
  }

  /** The sandbox's chunks, oldest first. */
  chunks(sandboxId: string): StoredDraftChunk[] {
    return this.records
      .list<StoredDraftChunk>(CHUNK, sandboxId)
      .map((r) => r.record)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  chunk(sandboxId: string, chunkId: string): StoredDraftChunk | undefined {
    return this.records.get<StoredDraftChunk>(CHUNK, sandboxId, chunkId)?.record;
  }

  log(sandboxId: string): DraftLog {
    return this.records.get<DraftLog>(LOG, sandboxId, LOG_NAME)?.record ?? emptyLog();
  }

  /** Stores changed chunks (`undefined` deletes the chunk of that id) and notes each event. */
  change(
    sandboxId: string,
    changes: readonly {
      chunkId: string;
      chunk: StoredDraftChunk | undefined;
      event: string;
      description: string;
    }[],
  ): void {
    if (changes.length === 0) return;
    this.records.atomically(() => {
      const nowMs = this.now();
      const log = this.log(sandboxId);
      log.version += 1;
      for (const { chunkId, chunk, event, description } of changes) {
        if (chunk === undefined) this.records.delete(CHUNK, sandboxId, chunkId);
        else this.records.put(CHUNK, sandboxId, chunkId, chunk);
        note(log, nowMs, event, chunkId, description);
      }
      this.records.put(LOG, sandboxId, LOG_NAME, log);
    });
  }
}

function note(
  log: DraftLog,
  timestampMs: number,
  eventType: string,
  chunkId: string,
  description: string,
): void {
  log.history.push({ timestampMs, eventType, description, chunkId });
  if (log.history.length > DRAFT_HISTORY_KEPT) log.history.splice(0, log.history.length - DRAFT_HISTORY_KEPT);
}

function describe(traffic: DeniedTraffic): string {
  const kinds = [...(traffic.tunnel ? ["CONNECT"] : []), ...traffic.methods];
  return `${traffic.host}:${traffic.port} (${kinds.join(", ")})`;
}
