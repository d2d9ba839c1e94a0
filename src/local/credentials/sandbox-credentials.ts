import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import type { RequestRewriter } from "../egress/request-rewrite.js";
import type { WebSocketTextRewriter } from "../egress/websocket-text-relay.js";
import { activePolicyRevisionOf } from "../handlers/policy-handlers.js";
import { storedProvider } from "../handlers/provider-handlers.js";
import type { GatewayLogLevel } from "../sandboxes/sandbox-directory.js";
import { SANDBOX_SCOPED_RECORD_KINDS } from "../state/sandbox-scoped-records.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type PlaceholderResolver, rewriteCredentials } from "./credential-rewrite.js";
import { type ProviderEnvironment, providerEnvironment } from "./provider-environment.js";
import { websocketTextRewriter } from "./websocket-text-rewrite.js";

const KIND = SANDBOX_SCOPED_RECORD_KINDS.credentialRevisions;
/** Revisions kept per key and identity: a process older than this many credential changes gets 500. */
const MAX_REVISIONS = 64;

/** What the state store keeps per sandbox and credential key: the revisions its processes were given. */
interface IssuedRevisions {
  identity: string;
  /** u64 as decimal strings. */
  revisions: string[];
}

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
  /** Milliseconds since the epoch (credential expiry); `Date.now` unless a test pins it. */
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
    const env = this.current(sandbox);
    if (env.bindings.size > 0) this.issue(sandbox.id, env);
    this.logOnce(sandbox, env);
    return { ...env.env };
  }

  /** The egress proxy's hook: placeholders resolved for the requesting sandbox's own bound credentials. */
  readonly rewrite: RequestRewriter = (client, request) =>
    rewriteCredentials(request, (path) => this.resolver(client.sandboxId, request.host, request.port, path));

  /** The egress proxy's hook for websocket text messages (`websocket_credential_rewrite`): resolved as the upgrade's request. */
  readonly websocketText: WebSocketTextRewriter = (client, upgrade) =>
    websocketTextRewriter(upgrade.pathAndQuery, (path) =>
      this.resolver(client.sandboxId, upgrade.host, upgrade.port, path),
    );

  private resolver(sandboxId: string, host: string, port: number, path: string): PlaceholderResolver {
    const sandbox = this.options.sandbox?.(sandboxId);
    const env = sandbox === undefined ? undefined : this.current(sandbox);
    const records = this.options.store.records;
    return (placeholder) => {
      const { key } = placeholder;
      const binding = env?.bindings.get(key);
      const secret = env?.secrets.get(key);
      if (env === undefined || binding === undefined || secret === undefined) {
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
      const issued = records.get<IssuedRevisions>(KIND, sandboxId, key)?.record;
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

  /** Records `env.revision` as given to the sandbox for each bound key (a write only when it is new). */
  private issue(sandboxId: string, env: ProviderEnvironment): void {
    const records = this.options.store.records;
    const revision = String(env.revision);
    records.atomically(() => {
      for (const [key, binding] of env.bindings) {
        const stored = records.get<IssuedRevisions>(KIND, sandboxId, key)?.record;
        if (stored?.identity === binding.identity && stored.revisions.includes(revision)) continue;
        const revisions =
          stored?.identity === binding.identity ? [...stored.revisions, revision] : [revision];
        records.put<IssuedRevisions>(KIND, sandboxId, key, {
          identity: binding.identity,
          revisions: revisions.slice(-MAX_REVISIONS),
        });
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
