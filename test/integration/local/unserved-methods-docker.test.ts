import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell } from "../../../src/index.js";
import { hasLocalModeHint, localModeUnservedMessage } from "../../../src/local/protocol/local-mode-hints.js";
import { Inference, OpenShell as OpenShellService } from "../../../src/raw.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";

/** How a call ended: the gRPC code name ("OK" on success) and the status message. */
interface Outcome {
  code: string;
  message: string;
}

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Read to the end: what matters is how the stream ends.
  }
}

async function* noInput(): AsyncGenerator<never> {}

type Callable = (input: unknown, options?: { timeoutMs?: number }) => unknown;

/** Calls any method of a raw client with an empty request (an empty input stream for streaming input). */
function callEmpty(client: object, method: DescMethod): Promise<unknown> {
  const fn = (client as Record<string, Callable>)[method.localName];
  if (fn === undefined) throw new Error(`the raw client has no ${method.localName}`);
  const options = { timeoutMs: 10_000 };
  switch (method.methodKind) {
    case "unary":
      return Promise.resolve(fn({}, options));
    case "server_streaming":
      return drain(fn({}, options) as AsyncIterable<unknown>);
    case "client_streaming":
      return Promise.resolve(fn(noInput(), options));
    case "bidi_streaming":
      return drain(fn(noInput(), options) as AsyncIterable<unknown>);
  }
}

/**
 * What `openshell/raw` reaches on a local gateway: the calls local mode has no meaning for (workspace
 * members, the supervisor's own calls) fail UNIMPLEMENTED with
 * a message naming the call and what to use instead, never with connect's generic answer and never as
 * a silent success. Docker only: the answers come from the gateway, not the engine.
 */
describe("calls local mode does not serve, through openshell/raw", () => {
  let os: OpenShell;

  beforeAll(async () => {
    os = await OpenShell.local({
      runtime: "docker",
      runtimeOptions: { endpoint: dockerTestEndpoint },
      ephemeral: true,
    });
  });
  afterAll(async () => {
    await os?.close();
  });

  it("answer UNIMPLEMENTED saying which gateway feature to use instead", async () => {
    const { openshell, inference } = os.raw;
    const cases: [() => Promise<unknown>, string, string][] = [
      [
        () => openshell.addWorkspaceMember({ workspace: "default", principalSubject: "alice", role: 1 }),
        "AddWorkspaceMember",
        "a member added here could never act",
      ],
      [
        () => openshell.listProviderProfiles({}),
        "ListProviderProfiles",
        "create providers with os.providers.create({ type })",
      ],
      [
        () => drain(openshell.connectSupervisor(noInput())),
        "ConnectSupervisor",
        "local-mode sandboxes run none",
      ],
      [() => openshell.pushSandboxLogs(noInput()), "PushSandboxLogs", "local-mode sandboxes run none"],
    ];
    for (const [call, method, hint] of cases) {
      const result = await outcome(call);
      expect(result.code, method).toBe("Unimplemented");
      expect(result.message).toMatch(
        new RegExp(
          `^openshell\\.v1\\.OpenShell/${method} is not available in local mode \\(OpenShell\\.local\\(\\)\\): `,
        ),
      );
      expect(result.message).toContain(hint);
    }
    const bundle = await outcome(() => inference.getInferenceBundle({}));
    expect(bundle).toEqual({
      code: "Unimplemented",
      message: localModeUnservedMessage("openshell.inference.v1.Inference/GetInferenceBundle"),
    });
  });

  it("serve every other method of the descriptors: each answers its own way or UNIMPLEMENTED with a hint", async () => {
    const services: [DescService, object][] = [
      [OpenShellService, os.raw.openshell],
      [Inference, os.raw.inference],
    ];
    const served: string[] = [];
    const unserved: string[] = [];
    for (const [service, client] of services) {
      for (const method of service.methods) {
        const path = `${service.typeName}/${method.name}`;
        const result = await outcome(() => callEmpty(client, method));
        if (result.code === "Unimplemented") {
          expect(result.message, path).toBe(localModeUnservedMessage(path));
          expect(hasLocalModeHint(path), `${path} has a hint of its own`).toBe(true);
          unserved.push(path);
        } else {
          served.push(path);
        }
      }
    }
    // Every method of the contract is declared (71 + 4) and falls on one side or the other.
    expect(OpenShellService.methods.length + Inference.methods.length).toBe(75);
    expect(served.length + unserved.length).toBe(75);
    // What local mode serves today: the sandbox, exec, forward, service, log, provider, policy, policy advisor, workspace and route calls.
    expect(served).toEqual(
      expect.arrayContaining([
        "openshell.v1.OpenShell/CreateSandbox",
        "openshell.v1.OpenShell/CreateSandboxTemplate",
        "openshell.v1.OpenShell/ExecSandbox",
        "openshell.v1.OpenShell/ForwardTcp",
        "openshell.v1.OpenShell/ExposeService",
        "openshell.v1.OpenShell/UpdateConfig",
        "openshell.v1.OpenShell/GetDraftPolicy",
        "openshell.v1.OpenShell/CreateWorkspace",
        "openshell.v1.OpenShell/GetCurrentUser",
        "openshell.inference.v1.Inference/SetInferenceRoute",
      ]),
    );
    expect(served).toHaveLength(52);
    expect(unserved).toHaveLength(23);
    // Empty requests are refused by the served calls, not acted on: nothing was created.
    expect(await os.sandboxes.list()).toEqual([]);
    expect(await os.providers.list()).toEqual([]);
  });
});
