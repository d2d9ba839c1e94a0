import { type OpenShell, OpenShell as OpenShellClient } from "openshell";
import { connectAgent, replyText } from "openshell/adapters/a2a";
import {
  type DeploymentStatus,
  type LogLine,
  OpenShellDeploymentAdapter,
} from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, expect, it } from "vitest";
import { condition, settled, statusesUntil } from "../../../support/agent-registry/deployment-status.js";
import { type EchoDeployment, echoDeployment } from "../../../support/agent-registry/echo-deployment.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../../support/test-engines.js";
import { openApiErrors } from "../../../unit/adapters/agent-registry/openapi-validator.js";

type Kind = "docker" | "podman";

/** Waits (on the adapter's watch) until the deploy converges; returns the statuses seen. */
async function converge(adapter: OpenShellDeploymentAdapter, d: EchoDeployment, timeoutMs = 90_000) {
  return statusesUntil(adapter.watch(d.deployment, { signal: AbortSignal.timeout(timeoutMs) }), settled);
}

/**
 * The deployment's log text (read with `tailLines`) once it contains `text`, or as it is after 10 s:
 * the gateway stores a process's lines a moment after it writes them.
 */
async function logsOnceThey(
  adapter: OpenShellDeploymentAdapter,
  d: EchoDeployment,
  text: string,
  tailLines = 0,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines: LogLine[] = [];
    for await (const line of adapter.logs({ deployment: d.deployment, tailLines })) lines.push(line);
    if (lines.some((l) => l.line.includes(text)) || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function last(statuses: DeploymentStatus[]): DeploymentStatus {
  const status = statuses.at(-1);
  if (status === undefined) throw new Error("no status");
  return status;
}

/**
 * OpenShellDeploymentAdapter on OpenShell.local() over a real engine, deploying the echo agent
 * image (@a2a-js/sdk's server, non-root) as the registry would: apply, watch, invoke, logs, remove.
 */
export function describeDeploymentAdapter(kind: Kind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;
  let adapter: OpenShellDeploymentAdapter;
  const made: EchoDeployment[] = [];

  function deployment(options: Parameters<typeof echoDeployment>[0] = {}): EchoDeployment {
    const d = echoDeployment(options);
    made.push(d);
    return d;
  }

  beforeAll(async () => {
    os = await OpenShellClient.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    adapter = new OpenShellDeploymentAdapter({ client: os, env: {} });
  });
  afterAll(async () => {
    for (const d of made)
      await adapter?.remove({ deployment: d.deployment, runtime: d.runtime }).catch(() => undefined);
    await adapter?.close();
    await os?.close();
  });

  it("deploys the echo agent: Progressing at once, then Ready once it answers; invoked, logged, removed", async () => {
    const d = deployment();
    for (const [schema, value] of [
      ["Deployment", d.deployment],
      ["Agent", d.target],
      ["Runtime", d.runtime],
    ] as const) {
      expect(openApiErrors(schema, value)).toEqual([]);
    }
    const started = performance.now();
    const applied = await adapter.apply(d);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(applied.conditions.find((c) => c.type === "Progressing")?.status).toBe("True");
    const sandboxName = applied.runtimeMetadata.sandboxName ?? "";
    expect(sandboxName).toMatch(/^ar-echo-[a-z0-9-]+$/);
    expect(sandboxName.length).toBeLessThanOrEqual(19);
    expect(applied.details).toMatchObject({ sandbox: sandboxName, port: 8080, protocol: "A2A" });

    const seen = await converge(adapter, d);
    expect(condition(last(seen), "Ready")).toBe("True/AgentAnswering");
    expect(condition(last(seen), "Progressing")).toBe("False/Deployed");
    // It was Progressing, waiting for the agent, before it was Ready.
    expect(seen.map((s) => condition(s, "Progressing"))).toContain("True/WaitingForAgent");
    expect(last(seen).runtimeMetadata.sandboxId).toMatch(/.+/);

    const reply = await adapter.invoke(d.deployment, "hello from the registry");
    expect(replyText(reply)).toContain("hello from the registry");
    // Streaming through connectAgent on the sandbox the runtime metadata names.
    const agent = await connectAgent(os.sandboxes.handle(sandboxName), { port: 8080 });
    try {
      let chunks = 0;
      for await (const event of agent.stream("three chunks"))
        if (event.payload?.$case === "artifactUpdate") chunks += 1;
      expect(chunks).toBe(3);
    } finally {
      await agent.close();
    }

    const tail = await logsOnceThey(adapter, d, "echo-agent: A2A 1.0 on 0.0.0.0:8080", 50);
    expect(tail.length).toBeLessThanOrEqual(50);
    for (const line of tail) {
      expect(line.stream).toMatch(/^(stdout|stderr|sandbox|gateway)$/);
      expect(Number.isNaN(Date.parse(line.timestamp))).toBe(false);
    }
    expect(tail.map((l) => l.line).join("\n")).toContain("echo-agent: A2A 1.0 on 0.0.0.0:8080");

    // Following: a new message writes a new line, which the followed stream yields.
    const follow = new AbortController();
    const followed = (async () => {
      for await (const line of adapter.logs({
        deployment: d.deployment,
        follow: true,
        tailLines: 1,
        signal: follow.signal,
      })) {
        if (line.line.includes("follow me")) return line;
      }
      return undefined;
    })();
    await adapter.invoke(d.deployment, "follow me");
    const line = await Promise.race([followed, new Promise((r) => setTimeout(r, 15_000))]);
    follow.abort();
    expect(line).toMatchObject({ stream: "stdout" });

    // Applying the same deployment again changes nothing.
    const before = await os.sandboxes.info(sandboxName);
    const again = await adapter.apply(d);
    expect(condition({ conditions: again.conditions, runtimeMetadata: {} }, "Ready")).toBe(
      "True/AgentAnswering",
    );
    expect((await os.sandboxes.info(sandboxName)).id).toBe(before.id);

    const removal = await adapter.remove({ deployment: d.deployment, runtime: d.runtime });
    expect(removal.conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "Removed",
    });
    await expect(os.sandboxes.info(sandboxName)).rejects.toThrow(/not found/i);
    // Idempotent.
    const twice = await adapter.remove({ deployment: d.deployment, runtime: d.runtime });
    expect(twice.conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "Removed",
    });
  });

  it("removing a deploy that is still Progressing cancels it and leaves nothing behind", async () => {
    const d = deployment({
      runtimeConfig: {
        port: 8080,
        command: ["sh", "-c", "sleep 30; exec node /app/echo-agent.mjs --port 8080"],
      },
    });
    const applied = await adapter.apply(d);
    const sandboxName = applied.runtimeMetadata.sandboxName ?? "";
    const watch = adapter.watch(d.deployment, { signal: AbortSignal.timeout(60_000) });
    const seenUntilWaiting = await statusesUntil(
      watch,
      (s) => condition(s, "Progressing") === "True/WaitingForAgent",
    );
    expect(condition(last(seenUntilWaiting), "Ready")).toBe("False/WaitingForAgent");

    const removal = await adapter.remove({ deployment: d.deployment, runtime: d.runtime });
    expect(removal.conditions.find((c) => c.type === "Ready")?.reason).toBe("Removed");
    await expect(os.sandboxes.info(sandboxName)).rejects.toThrow(/not found/i);
    const left = await os.sandboxes.list({
      labels: { "agent-registry.openshell.ai/managed-by": "openshell-agent-registry" },
    });
    expect(left.map((s) => s.name)).not.toContain(sandboxName);
  });

  it("an agent whose main process crashes is Degraded with its exit code and last log lines", async () => {
    const d = deployment({
      runtimeConfig: {
        port: 8080,
        command: ["sh", "-c", "echo 'agent: cannot load model config' >&2; exit 3"],
      },
    });
    await adapter.apply(d);
    const status = last(await converge(adapter, d));
    const degradedCondition = status.conditions.find((c) => c.type === "Degraded");
    expect(degradedCondition).toMatchObject({ status: "True", reason: "MainProcessExited" });
    expect(degradedCondition?.message).toContain("exit code 3");
    expect(degradedCondition?.message).toContain("agent: cannot load model config");
    expect(condition(status, "Ready")).toBe("False/MainProcessExited");
  });

  it("a second adapter instance finds, follows, reads and removes what the first one deployed", async () => {
    const d = deployment();
    await adapter.apply(d);
    const first = last(await converge(adapter, d));
    expect(condition(first, "Ready")).toBe("True/AgentAnswering");

    const other = new OpenShellDeploymentAdapter({ client: os, env: {} });
    try {
      const adopted = last(await converge(other, d));
      expect(condition(adopted, "Ready")).toBe("True/AgentAnswering");
      expect(adopted.runtimeMetadata.sandboxName).toBe(first.runtimeMetadata.sandboxName);
      const sandboxId = (await os.sandboxes.info(first.runtimeMetadata.sandboxName ?? "")).id;
      // Applying the same input on the new instance adopts the sandbox instead of replacing it.
      await other.apply(d);
      expect(condition(last(await converge(other, d)), "Ready")).toBe("True/AgentAnswering");
      expect((await os.sandboxes.info(first.runtimeMetadata.sandboxName ?? "")).id).toBe(sandboxId);
      const lines = await logsOnceThey(other, d, "echo-agent: A2A 1.0");
      expect(lines.map((l) => l.line).join("\n")).toContain("echo-agent: A2A 1.0");
      await other.remove({ deployment: d.deployment, runtime: d.runtime });
      await expect(os.sandboxes.info(first.runtimeMetadata.sandboxName ?? "")).rejects.toThrow(/not found/i);
    } finally {
      await other.close();
    }
  });

  it("a changed spec replaces the sandbox, and the new one becomes Ready", async () => {
    const d = deployment();
    await adapter.apply(d);
    const first = last(await converge(adapter, d));
    const changed: EchoDeployment = {
      ...d,
      deployment: { ...d.deployment, spec: { ...d.deployment.spec, env: { ECHO_TEST: "2" } } },
    };
    expect(adapter.desiredFingerprint(changed)).not.toBe(adapter.desiredFingerprint(d));
    // A watch opened before the change goes on with the new sandbox.
    const longWatch = adapter.watch(d.deployment, { signal: AbortSignal.timeout(90_000) });
    const firstSeen = await longWatch.next();
    expect(firstSeen.value?.runtimeMetadata.sandboxId).toBe(first.runtimeMetadata.sandboxId);
    await adapter.apply(changed);
    const second = last(
      await statusesUntil(
        { [Symbol.asyncIterator]: () => longWatch },
        (s) => s.runtimeMetadata.sandboxId !== first.runtimeMetadata.sandboxId && settled(s),
      ),
    );
    expect(condition(second, "Ready")).toBe("True/AgentAnswering");
    expect(second.runtimeMetadata.sandboxId).not.toBe(first.runtimeMetadata.sandboxId);
    const env = await os.sandboxes
      .handle(second.runtimeMetadata.sandboxName ?? "")
      .exec(["sh", "-c", "echo $ECHO_TEST"]);
    expect(env.stdout.trim()).toBe("2");
  });

  it("an image the engine does not have is Degraded ImageNotFound, saying what to do", async () => {
    const d = deployment({ image: "openshell-test/no-such-agent:404" });
    await adapter.apply(d);
    const status = last(await converge(adapter, d));
    expect(condition(status, "Degraded")).toBe("True/ImageNotFound");
    expect(status.conditions.find((c) => c.type === "Degraded")?.message).toContain(
      "openshell-test/no-such-agent:404",
    );
  });

  it("an agent that never listens is Degraded ReadinessTimeout once runtimeConfig.readinessTimeoutSeconds pass", async () => {
    const d = deployment({
      runtimeConfig: { port: 8080, command: ["sleep", "600"], readinessTimeoutSeconds: 2 },
    });
    await adapter.apply(d);
    const status = last(await converge(adapter, d));
    expect(condition(status, "Degraded")).toBe("True/ReadinessTimeout");
    expect(status.conditions.find((c) => c.type === "Degraded")?.message).toMatch(
      /did not answer on port 8080 within 2 s/,
    );
  });

  it("discover reports the sandboxes on the gateway that no deployment made, and none of its own", async () => {
    const d = deployment();
    await adapter.apply(d);
    const own = last(await converge(adapter, d)).runtimeMetadata.sandboxName;
    const plain = await os.sandboxes.create({
      name: `plain-${Math.random().toString(16).slice(2, 8)}`,
      image: "openshell-test/busybox:1",
      command: ["sleep", "600"],
    });
    try {
      const found = await adapter.discover({ runtime: d.runtime });
      const names = found.map((f) => f.name);
      expect(names).toContain(plain.name);
      expect(names).not.toContain(own);
      expect(found.find((f) => f.name === plain.name)).toMatchObject({
        targetKind: "Agent",
        runtimeMetadata: { sandboxName: plain.name, image: "openshell-test/busybox:1" },
      });
    } finally {
      await plain.delete();
    }
  });

  it("watch of a deployment that is not deployed says NotDeployed and ends", async () => {
    const d = echoDeployment();
    const seen: DeploymentStatus[] = [];
    for await (const status of adapter.watch(d.deployment)) seen.push(status);
    expect(seen.map((s) => condition(s, "Ready"))).toEqual(["False/NotDeployed"]);
  });

  it("bad input creates nothing on the gateway", async () => {
    const d = deployment({ runtimeConfig: { port: 8080, resources: { limits: { memory: "lots" } } } });
    await expect(adapter.apply(d)).rejects.toMatchObject({
      field: "deployment.spec.runtimeConfig.resources.limits.memory",
    });
    const other = echoDeployment();
    await expect(
      adapter.apply({ deployment: other.deployment, runtime: other.runtime }),
    ).rejects.toMatchObject({ field: "target" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const labels = { "agent-registry.openshell.ai/managed-by": "openshell-agent-registry" };
    const names = (await os.sandboxes.list({ labels })).map((s) => s.name);
    expect(names.filter((n) => n.includes(d.deployment.metadata.name.slice(0, 9)))).toEqual([]);
  });

  it("deploys an MCPServer packaged as an OCI image: probed over HTTP on its transport's port and path", async () => {
    const base = deployment();
    const d = {
      ...base,
      deployment: {
        ...base.deployment,
        spec: {
          ...base.deployment.spec,
          targetRef: { kind: "MCPServer", name: "io.example/echo-mcp", tag: "1.0.0" },
          runtimeConfig: {},
        },
      },
      target: {
        apiVersion: "ar.dev/v1alpha1",
        kind: "MCPServer",
        metadata: { name: "io.example/echo-mcp", tag: "1.0.0" },
        spec: {
          source: {
            package: {
              registryType: "oci",
              identifier: base.target.spec.source.image,
              transport: { type: "streamable-http", url: "http://localhost:8080/mcp" },
              environmentVariables: [
                { name: "MCP_MODE", value: "http" },
                { name: "MCP_TOKEN", value: "not-for-env", isSecret: true },
              ],
            },
          },
        },
      },
    };
    const applied = await adapter.apply(d);
    expect(applied.details).toMatchObject({ port: 8080, protocol: "HTTP" });
    const seen = await statusesUntil(
      adapter.watch(d.deployment, { signal: AbortSignal.timeout(90_000) }),
      settled,
    );
    const status = last(seen);
    expect(condition(status, "Ready")).toBe("True/AgentAnswering");
    expect(status.conditions.find((c) => c.type === "Ready")?.message).toMatch(/HTTP 404 on \/mcp/);
    const env = await os.sandboxes
      .handle(status.runtimeMetadata.sandboxName ?? "")
      .exec(["sh", "-c", 'echo "$MCP_MODE/$(printenv MCP_TOKEN || echo unset)"']);
    expect(env.stdout.trim()).toBe("http/unset");
    await adapter.remove({ deployment: d.deployment, runtime: d.runtime });
  });

  it("an agent whose model credentials are missing is Degraded MissingModelCredentials, with no sandbox made", async () => {
    const d = deployment({ model: { provider: "anthropic", name: "claude-sonnet-4-5" } });
    const applied = await adapter.apply(d);
    const status = last(await converge(adapter, d));
    expect(condition(status, "Degraded")).toBe("True/MissingModelCredentials");
    expect(status.conditions.find((c) => c.type === "Degraded")?.message).toContain("ANTHROPIC_API_KEY");
    await expect(os.sandboxes.info(applied.runtimeMetadata.sandboxName ?? "")).rejects.toThrow(/not found/i);
  });

  it("an agent with a model gets a provider of its own whose secret never reaches the sandbox; remove deletes it", async () => {
    const secret = `sk-ant-test-${Math.random().toString(36).slice(2)}`;
    const withKey = new OpenShellDeploymentAdapter({ client: os, env: { ANTHROPIC_API_KEY: secret } });
    const d = deployment({ model: { provider: "anthropic", name: "claude-sonnet-4-5" } });
    try {
      await withKey.apply(d);
      const status = last(await converge(withKey, d));
      expect(condition(status, "Ready")).toBe("True/AgentAnswering");
      const sandboxName = status.runtimeMetadata.sandboxName ?? "";
      const provider = await os.providers.get(`${sandboxName}-model`);
      expect(provider.type).toMatch(/claude/);
      const env = await os.sandboxes.handle(sandboxName).exec(["env"]);
      expect(env.stdout).not.toContain(secret);
      expect(env.stdout).toContain("MODEL_NAME=claude-sonnet-4-5");
      expect(JSON.stringify(status)).not.toContain(secret);
      await withKey.remove({ deployment: d.deployment, runtime: d.runtime });
      await expect(os.providers.get(`${sandboxName}-model`)).rejects.toThrow(/not found/i);
    } finally {
      await withKey.close();
    }
  });

  it("an agent whose model provider is unknown (and no endpoint says where it is) is Degraded UnknownModelProvider", async () => {
    const d = deployment({ model: { provider: "acme-llm", name: "acme-1" } });
    const applied = await adapter.apply(d);
    const status = last(await converge(adapter, d));
    expect(condition(status, "Degraded")).toBe("True/UnknownModelProvider");
    expect(status.conditions.find((c) => c.type === "Degraded")?.message).toContain("acme-llm");
    await expect(os.sandboxes.info(applied.runtimeMetadata.sandboxName ?? "")).rejects.toThrow(/not found/i);
  });

  it('applying desiredState "undeployed" removes the deployment, as remove does', async () => {
    const d = deployment();
    await adapter.apply(d);
    const deployed = last(await converge(adapter, d));
    expect(condition(deployed, "Ready")).toBe("True/AgentAnswering");
    const undeployed = {
      ...d,
      deployment: { ...d.deployment, spec: { ...d.deployment.spec, desiredState: "undeployed" } },
    };
    const answer = await adapter.apply(undeployed);
    expect(answer.conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "Removed",
    });
    await expect(os.sandboxes.info(deployed.runtimeMetadata.sandboxName ?? "")).rejects.toThrow(/not found/i);
  });

  it("an agent whose main process exits 0 (it ran to completion instead of serving) is Degraded MainProcessCompleted", async () => {
    const d = deployment({ runtimeConfig: { port: 8080, command: ["sh", "-c", "echo 'nothing to serve'"] } });
    await adapter.apply(d);
    const status = last(await converge(adapter, d));
    const degradedCondition = status.conditions.find((c) => c.type === "Degraded");
    expect(degradedCondition).toMatchObject({ status: "True", reason: "MainProcessCompleted" });
    expect(degradedCondition?.message).toContain("nothing to serve");
  });
}
