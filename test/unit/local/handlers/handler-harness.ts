import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach } from "vitest";
import { Inference } from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import {
  OpenShell,
  type Sandbox,
  SandboxPhase,
  SandboxSchema,
  type SandboxSpec,
  SandboxSpecSchema,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { inferenceHandlers } from "../../../../src/local/handlers/inference-handlers.js";
import { policyHandlers, recordInitialPolicy } from "../../../../src/local/handlers/policy-handlers.js";
import { providerHandlers } from "../../../../src/local/handlers/provider-handlers.js";
import { workspaceHandlers } from "../../../../src/local/handlers/workspace-handlers.js";
import { gatewayErrorInterceptor } from "../../../../src/local/protocol/gateway-error-interceptor.js";
import type {
  GatewayLogLevel,
  SandboxDirectory,
  SandboxView,
} from "../../../../src/local/sandboxes/sandbox-directory.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";

type SpecInit = MessageInitShape<typeof SandboxSpecSchema>;

/** A sandbox of the fake directory: enough of one for the handlers that do not run containers. */
export class FakeSandbox implements SandboxView {
  resourceVersion = 1n;
  readonly logs: { level: GatewayLogLevel; message: string }[] = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly workspace: string,
    public spec: SandboxSpec,
  ) {}

  toProto(): Sandbox {
    return create(SandboxSchema, {
      metadata: {
        id: this.id,
        name: this.name,
        workspace: this.workspace,
        resourceVersion: this.resourceVersion,
      },
      spec: clone(SandboxSpecSchema, this.spec),
      status: { sandboxName: this.name, phase: SandboxPhase.READY },
    });
  }
}

/** The directory as the sandbox handlers would keep it, in memory: lookups answer NOT_FOUND. */
export class FakeSandboxDirectory implements SandboxDirectory {
  readonly sandboxes = new Map<string, FakeSandbox>();
  private serial = 0;

  add(name: string, spec: SpecInit = {}, workspace = "default"): FakeSandbox {
    this.serial += 1;
    const id = `00000000-0000-4000-8000-${String(this.serial).padStart(12, "0")}`;
    const sandbox = new FakeSandbox(id, name, workspace, create(SandboxSpecSchema, spec));
    this.sandboxes.set(id, sandbox);
    return sandbox;
  }

  byName(name: string, workspace: string): FakeSandbox {
    for (const sandbox of this.sandboxes.values()) {
      if (sandbox.name === name && sandbox.workspace === workspace) return sandbox;
    }
    throw new ConnectError(`sandbox "${name}" not found in workspace "${workspace}"`, Code.NotFound);
  }

  byId(id: string): FakeSandbox {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new ConnectError(`sandbox with id "${id}" not found`, Code.NotFound);
    return sandbox;
  }

  all(workspace?: string): FakeSandbox[] {
    return [...this.sandboxes.values()].filter((s) => workspace === undefined || s.workspace === workspace);
  }

  updateSpec(id: string, change: (spec: SandboxSpec) => void): FakeSandbox {
    const sandbox = this.byId(id);
    const spec = clone(SandboxSpecSchema, sandbox.spec);
    change(spec);
    sandbox.spec = spec;
    sandbox.resourceVersion += 1n;
    return sandbox;
  }

  gatewayLog(id: string, level: GatewayLogLevel, message: string): void {
    this.byId(id).logs.push({ level, message });
  }
}

/** Fixed clock: 2025-01-01T00:00:00Z, a millisecond later on every reading. */
function fixedClock(): () => number {
  let ms = Date.UTC(2025, 0, 1);
  return () => ms++;
}

/**
 * The provider, policy, inference and workspace handlers behind a real Connect router on an in-memory
 * transport, over a real state store in a temporary directory and a fake sandbox directory.
 */
export class Harness {
  dir = "";
  store!: LocalStateStore;
  sandboxes = new FakeSandboxDirectory();
  client!: Client<typeof OpenShell>;
  inference!: Client<typeof Inference>;
  private now = fixedClock();

  async open(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "openshell-handlers-"));
    this.sandboxes = new FakeSandboxDirectory();
    this.now = fixedClock();
    this.connect();
  }

  /** Adds a sandbox and records its initial policy, as the sandbox handlers do at create. */
  createSandbox(name: string, spec: SpecInit = {}, workspace = "default"): FakeSandbox {
    const sandbox = this.sandboxes.add(name, spec, workspace);
    recordInitialPolicy(this.store, sandbox, this.now());
    return sandbox;
  }

  /** Closes the store and opens it again on the same directory, with fresh handlers over it. */
  reopen(): void {
    this.store.close();
    this.connect();
  }

  async close(): Promise<void> {
    this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private connect(): void {
    this.store = LocalStateStore.open(join(this.dir, "state"));
    const deps = { store: this.store, sandboxes: this.sandboxes, now: this.now };
    const transport = createRouterTransport(
      (router) => {
        router.service(OpenShell, {
          ...providerHandlers(deps),
          ...policyHandlers(deps),
          ...workspaceHandlers({ store: this.store }),
        });
        router.service(Inference, inferenceHandlers(deps));
      },
      // As the local gateway does: the SDK errors handlers throw reach the client as status codes.
      { router: { interceptors: [gatewayErrorInterceptor()] } },
    );
    this.client = createClient(OpenShell, transport);
    this.inference = createClient(Inference, transport);
  }
}

/** One harness for a test file, opened afresh before each test and closed after it. */
export function harnessPerTest(): Harness {
  const harness = new Harness();
  beforeEach(() => harness.open());
  afterEach(() => harness.close());
  return harness;
}

/** The gRPC code name a call ends with ("OK" when it succeeds), and the message when it fails. */
export async function outcome(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}
