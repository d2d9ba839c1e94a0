import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import type { LocalStateStore } from "../state/state-store.js";
import type { ProviderEnvironment } from "./provider-environment.js";

/** What the state store keeps per sandbox and credential key: the revisions its processes were given. */
export interface IssuedRevisions {
  identity: string;
  /** u64 as decimal strings. */
  revisions: string[];
}

/** A sandbox's provider environment as last built from the store, with what was issued of it. */
export interface CachedEnvironment {
  /** The spec it was built from: attach, detach and policy changes give the sandbox a new one. */
  readonly spec: Pick<SandboxSpec, "providers" | "policy">;
  /** When it was built (the credentials' clock, ms). */
  readonly builtAtMs: number;
  readonly env: ProviderEnvironment;
  /** Credential key -> the revisions given to the sandbox's processes, as last read or written. */
  readonly issued: Map<string, IssuedRevisions>;
}

/**
 * Provider environments by sandbox, shared by everything of one gateway that works on one state
 * store (the sandbox manager issues placeholders, the egress proxy resolves them), so that a
 * proxied request costs no store read. This gateway's own changes drop what they change at once:
 * a provider's (every entry: its sandboxes are not indexed), a sandbox's policy, a deleted sandbox.
 */
export class CredentialCache {
  private readonly entries = new Map<string, CachedEnvironment>();

  /** The sandbox's entry when it was built from `spec` and is not older than `maxAgeMs`. */
  get(
    sandboxId: string,
    spec: CachedEnvironment["spec"],
    nowMs: number,
    maxAgeMs: number,
  ): CachedEnvironment | undefined {
    const entry = this.entries.get(sandboxId);
    if (entry === undefined || entry.spec !== spec) return undefined;
    // A clock that went back counts as stale too.
    const age = nowMs - entry.builtAtMs;
    return age >= 0 && age < maxAgeMs ? entry : undefined;
  }

  set(sandboxId: string, entry: CachedEnvironment): void {
    this.entries.set(sandboxId, entry);
  }

  /** A provider was created, changed or deleted: any sandbox's environment may differ. */
  providersChanged(): void {
    this.entries.clear();
  }

  /** The sandbox's policy changed, or the sandbox is gone: its entry (and the values in it) goes. */
  forget(sandboxId: string): void {
    this.entries.delete(sandboxId);
  }

  /** Whether the sandbox has an entry; for tests. */
  has(sandboxId: string): boolean {
    return this.entries.has(sandboxId);
  }
}

const caches = new WeakMap<LocalStateStore, CredentialCache>();

/** The one cache of the gateway that has `store` open (a reopened store starts empty). */
export function credentialCacheOf(store: LocalStateStore): CredentialCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new CredentialCache();
    caches.set(store, cache);
  }
  return cache;
}
