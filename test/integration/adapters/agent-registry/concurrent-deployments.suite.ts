import { type OpenShell, OpenShell as OpenShellClient } from "openshell";
import { OpenShellDeploymentAdapter } from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, expect, it } from "vitest";
import { condition, settled, statusesUntil } from "../../../support/agent-registry/deployment-status.js";
import { type EchoDeployment, echoDeployment } from "../../../support/agent-registry/echo-deployment.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../../support/test-engines.js";

const COUNT = 50;

/** Fifty deployments of the echo agent applied at once on one adapter: every one reaches Ready. */
export function describeConcurrentDeployments(kind: "docker" | "podman"): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;
  let adapter: OpenShellDeploymentAdapter;
  const deployments: EchoDeployment[] = Array.from({ length: COUNT }, (_, i) =>
    echoDeployment({ name: `load-${i}` }),
  );

  beforeAll(async () => {
    os = await OpenShellClient.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    adapter = new OpenShellDeploymentAdapter({ client: os, env: {} });
  });
  afterAll(async () => {
    await Promise.all(
      deployments.map((d) =>
        adapter?.remove({ deployment: d.deployment, runtime: d.runtime }).catch(() => undefined),
      ),
    );
    await adapter?.close();
    await os?.close();
  });

  it(`${COUNT} deployments applied at once all reach Ready with no error, and are all removed`, async () => {
    const applied = await Promise.all(deployments.map((d) => adapter.apply(d)));
    expect(new Set(applied.map((a) => a.runtimeMetadata.sandboxName)).size).toBe(COUNT);
    const finals = await Promise.all(
      deployments.map(async (d) => {
        const seen = await statusesUntil(
          adapter.watch(d.deployment, { signal: AbortSignal.timeout(240_000) }),
          settled,
        );
        return seen.at(-1);
      }),
    );
    const outcomes = finals.map((s) => (s ? condition(s, "Ready") : "none"));
    expect(outcomes.filter((o) => o !== "True/AgentAnswering")).toEqual([]);
    const replies = await Promise.all(
      deployments.slice(0, 5).map((d, i) => adapter.invoke(d.deployment, `load ${i}`)),
    );
    expect(replies).toHaveLength(5);
    const removals = await Promise.all(
      deployments.map((d) => adapter.remove({ deployment: d.deployment, runtime: d.runtime })),
    );
    expect(
      removals.every((r) => r.conditions.some((c) => c.type === "Ready" && c.reason === "Removed")),
    ).toBe(true);
    const left = await os.sandboxes.list({
      labels: { "agent-registry.openshell.ai/managed-by": "openshell-agent-registry" },
    });
    expect(left).toEqual([]);
  }, 600_000);
}
