import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import type { EgressClient } from "../egress/egress-types.js";
import type { OutboundRequest, RequestRewriter } from "../egress/request-rewrite.js";
import type { WebSocketTextRewriter } from "../egress/websocket-text-relay.js";
import { activePolicyRevisionOf } from "../handlers/policy-handlers.js";
import { storedProvider } from "../handlers/provider-handlers.js";
import type { GatewayLogLevel } from "../sandboxes/sandbox-directory.js";
import { SANDBOX_SCOPED_RECORD_KINDS } from "../state/sandbox-scoped-records.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type CachedEnvironment, credentialCacheOf, type IssuedRevisions } from "./credential-cache.js";
import { type PlaceholderResolver, rewriteCredentials } from "./credential-rewrite.js";
import { type ProviderEnvironment, providerEnvironment } from "./provider-environment.js";
import { websocketTextRewriter } from "./websocket-text-rewrite.js";

const KIND = SANDBOX_SCOPED_RECORD_KINDS.credentialRevisions;
/** Revisions kept per key and identity: a process older than this many credential changes gets 500. */
const MAX_REVISIONS = 64;
/**
 * How long the proxy trusts a sandbox's cached environment before building it from the store
 * again: what another gateway process on the same state directory changed is seen within this
 * (this gateway's own changes drop the entry at once), as the egress policy cache does.
 */
const RECHECK_MS = 2000;

/** The sandbox facts credentials depend on. */
export interface CredentialSandbox {
  readonly id: string;
  readonly name: string;
  readonly workspace: string;
  readonly spec: Pick<SandboxSpec, "providers" | "policy">;
}

export interface SandboxCredentialsOptions {
  store: LocalStateStore;
  /** The sandbox of an egress client; undefined once it is gone. Needed by {@link SandboxCredentials.rewrite}. */
  sandbox?: (sandboxId: string) => CredentialSandbox | undefined;
  /** The sandbox's gateway log: what was withheld and why, once per provider-environment revision. */
  log?: (sandboxId: string, level: GatewayLogLevel, message: string) => void;
  /** Milliseconds since the epoch (credential expiry, cache age); `Date.now` unless a test pins it. */
  now?: () => number;
}

/**
 * Local mode's part of upstream's sandbox supervisor for provider credentials: processes get
 * placeholders ({@link environment}, at container create and for every exec), and the egress proxy
 * puts the real value in their place only for the endpoints the credential is bound to
 * ({@link rewrite}). The values stay in the state store; which revisions each sandbox was given is
 * kept there too (deleted with the sandbox), so a placeholder a running process holds keeps
 * resolving, to the current value, after its provider changed or the gateway restarted, as long as
 * the credential is still the same provider's.
 */
export class SandboxCredentials {
  /** `sandboxId|revision` whose notes are on the log already. */
  private readonly logged = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: SandboxCredentialsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The sandbox's provider environment now, values included: for the gateway's own use only. */
  current(sandbox: CredentialSandbox): ProviderEnvironment {
    const { store } = this.options;
    const records = sandbox.spec.providers.map((name) => ({
      name,
      provider: storedProvider(store, sandbox.workspace, name),
    }));
    if (records.length === 0) return providerEnvironment([], undefined, 0);
    const policy = activePolicyRevisionOf(store, sandbox.id)?.policy ?? sandbox.spec.policy;
    return providerEnvironment(records, policy, this.now());
  }

  /**
   * The variables a new process of the sandbox gets, `KEY=openshell:resolve:env:v<revision>_KEY`
   * for each credential it may use; the revision is recorded as issued to it.
   */
  environment(sandbox: CredentialSandbox): Record<string, string> {
    // Always from the store: a new process sees a change made anywhere, at once.
    const entry = this.build(sandbox);
    if (entry.env.bindings.size > 0) this.issue(sandbox.id, entry);
    this.logOnce(sandbox, entry.env);
    return { ...entry.env.env };
  }

  /**
   * The egress proxy's hook: placeholders resolved for the requesting sandbox's own bound
   * credentials; {@link holdsCredentials} arms the body backstop only for a sandbox that has some.
   */
  readonly rewrite: RequestRewriter = Object.assign(
    (client: EgressClient, request: OutboundRequest) =>
      rewriteCredentials(request, (path) =>
        this.resolver(client.sandboxId, request.host, request.port, path),
      ),
    { holdsCredentials: (client: EgressClient) => this.holdsCredentials(client.sandboxId) },
  );

  /**
   * Whether the sandbox's provider environment gives it at least one credential now (what its
   * processes get placeholders for), from the cache: upstream's "the sandbox has a secret
   * resolver", which arms the request-body backstop. A sandbox gone, with no providers, or whose
   * credentials are all withheld holds none.
   */
  holdsCredentials(sandboxId: string): boolean {
    const sandbox = this.options.sandbox?.(sandboxId);
    if (sandbox === undefined) {
      this.cache.forget(sandboxId);
      return false;
    }
    // No providers: nothing to build (and no cache entry to keep for it).
    if (sandbox.spec.providers.length === 0) return false;
    return this.cached(sandbox).env.secrets.size > 0;
  }

  /** The egress proxy's hook for websocket text messages (`websocket_credential_rewrite`): resolved as the upgrade's request. */
  readonly websocketText: WebSocketTextRewriter = (client, upgrade) =>
    websocketTextRewriter(upgrade.pathAndQuery, (path) =>
      this.resolver(client.sandboxId, upgrade.host, upgrade.port, path),
    );

  private resolver(sandboxId: string, host: string, port: number, path: string): PlaceholderResolver {
    const sandbox = this.options.sandbox?.(sandboxId);
    if (sandbox === undefined) this.cache.forget(sandboxId);
    const entry = sandbox === undefined ? undefined : this.cached(sandbox);
    const env = entry?.env;
    return (placeholder) => {
      const { key } = placeholder;
      const binding = env?.bindings.get(key);
      const secret = env?.secrets.get(key);
      if (entry === undefined || env === undefined || binding === undefined || secret === undefined) {
        return {
          kind: "unavailable",
          why: `no provider attached to the sandbox gives it a credential named ${key}${
            env !== undefined && env.notes.length > 0
              ? " (the sandbox's gateway log says what was withheld)"
              : ""
          }`,
        };
      }
      if (!binding.endpoints.some((e) => e.matches(host, port, path))) return { kind: "mismatch" };
      if (placeholder.form !== "revisioned") {
        return {
          kind: "unavailable",
          why: `only the placeholder from the sandbox's environment resolves (openshell:resolve:env:v<revision>_${key})`,
        };
      }
      const issued = this.issuedTo(sandboxId, entry, key, String(placeholder.revision));
      if (issued?.identity !== binding.identity || !issued.revisions.includes(String(placeholder.revision))) {
        return {
          kind: "unavailable",
          why: `revision ${placeholder.revision} of ${key} was not given to this sandbox by its current provider; a new exec gets the current placeholder`,
        };
      }
      if (secret.expiresAtMs > 0 && secret.expiresAtMs <= this.now()) {
        return { kind: "unavailable", why: `the credential ${key} has expired; update the provider` };
      }
      return { kind: "value", value: secret.value };
    };
  }

  private get cache() {
    return credentialCacheOf(this.options.store);
  }

  /** The sandbox's environment for a request: cached, built from the store only when stale. */
  private cached(sandbox: CredentialSandbox): CachedEnvironment {
    return this.cache.get(sandbox.id, sandbox.spec, this.now(), RECHECK_MS) ?? this.build(sandbox);
  }

  /** Builds the sandbox's environment from the store, with what was issued of it, and caches it. */
  private build(sandbox: CredentialSandbox): CachedEnvironment {
    const builtAtMs = this.now();
    const env = this.current(sandbox);
    const issued = new Map<string, IssuedRevisions>();
    for (const key of env.bindings.keys()) {
      const stored = this.options.store.records.get<IssuedRevisions>(KIND, sandbox.id, key)?.record;
      if (stored !== undefined) issued.set(key, stored);
    }
    const entry: CachedEnvironment = { spec: sandbox.spec, builtAtMs, env, issued };
    this.cache.set(sandbox.id, entry);
    return entry;
  }

  /**
   * What was issued of `key` to the sandbox, from the cache; from the store when the cache does not
   * know `revision` (another gateway process on the state directory may have issued it since).
   */
  private issuedTo(
    sandboxId: string,
    entry: CachedEnvironment,
    key: string,
    revision: string,
  ): IssuedRevisions | undefined {
    const known = entry.issued.get(key);
    if (known?.revisions.includes(revision)) return known;
    const stored = this.options.store.records.get<IssuedRevisions>(KIND, sandboxId, key)?.record;
    if (stored !== undefined) entry.issued.set(key, stored);
    return stored;
  }

  /**
   * Records the entry's revision as given to the sandbox for each bound key (a write only when it
   * is new), in the store and in the entry.
   */
  private issue(sandboxId: string, entry: CachedEnvironment): void {
    const records = this.options.store.records;
    const { env } = entry;
    const revision = String(env.revision);
    records.atomically(() => {
      for (const [key, binding] of env.bindings) {
        const stored = records.get<IssuedRevisions>(KIND, sandboxId, key)?.record;
        if (stored?.identity === binding.identity && stored.revisions.includes(revision)) {
          entry.issued.set(key, stored);
          continue;
        }
        const revisions =
          stored?.identity === binding.identity ? [...stored.revisions, revision] : [revision];
        const next = { identity: binding.identity, revisions: revisions.slice(-MAX_REVISIONS) };
        records.put<IssuedRevisions>(KIND, sandboxId, key, next);
        entry.issued.set(key, next);
      }
    });
  }

  private logOnce(sandbox: CredentialSandbox, env: ProviderEnvironment): void {
    const log = this.options.log;
    const mark = `${sandbox.id}|${env.revision}`;
    if (log === undefined || sandbox.spec.providers.length === 0 || this.logged.has(mark)) return;
    this.logged.add(mark);
    for (const note of env.notes) log(sandbox.id, note.level, note.message);
    const keys = Object.keys(env.env).sort();
    if (keys.length > 0) {
      log(
        sandbox.id,
        "INFO",
        `provider credentials reach the sandbox as placeholders (revision ${env.revision}): ${keys.join(", ")}; the egress proxy puts the values in only for their bound endpoints`,
      );
    }
  }
}
