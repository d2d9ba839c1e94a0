import { readFileSync } from "node:fs";
import fc from "fast-check";
import { InvalidArgumentError } from "openshell";
import {
  type DeploymentIdentity,
  deploymentSchema,
  deploymentSelector,
  identityFromLabels,
  identityLabels,
  managedSelector,
  mcpServerSchema,
  sandboxNameFor,
} from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { labelsSchema, sandboxNameSchema } from "../../../../src/client/validation/common-schemas.js";

const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

// Kubernetes label rules (a gateway on Kubernetes may copy object labels onto pods): stricter than
// the SDK's own check, so labels that pass them pass everywhere.
const K8S_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
function isKubernetesLabel(key: string, value: string): boolean {
  const [prefix, name] = key.split("/");
  return (
    prefix !== undefined &&
    name !== undefined &&
    prefix.length <= 253 &&
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix) &&
    name.length <= 63 &&
    K8S_NAME.test(name) &&
    value.length <= 63 &&
    (value === "" || K8S_NAME.test(value))
  );
}

// Registry names are free text as far as the adapter knows: slashes, dots, capitals, any Unicode.
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc.constantFrom(
    "echo-agent",
    "io.github.acme/weather",
    "---",
    "Ä",
    "a".repeat(63),
    "a".repeat(64),
    "-x-",
    "x.",
  ),
);
const deployment = fc.record({
  metadata: fc.record(
    {
      name: text,
      namespace: fc.oneof(fc.constant(""), text),
      uid: fc.oneof(fc.constant(""), fc.uuid(), text),
    },
    { requiredKeys: ["name"] },
  ),
  spec: fc.record({
    targetRef: fc.record(
      { kind: fc.constantFrom("Agent", "MCPServer"), name: text, tag: fc.oneof(fc.constant(""), text) },
      { requiredKeys: ["kind", "name"] },
    ),
  }),
});

describe("sandboxNameFor", () => {
  it("is always a valid OpenShell sandbox name, and the same for the same deployment", () => {
    fc.assert(
      fc.property(deployment, (d) => {
        const name = sandboxNameFor(d);
        expect(sandboxNameSchema.safeParse(name).success).toBe(true);
        expect(name.startsWith("ar-")).toBe(true);
        expect(sandboxNameFor(structuredClone(d))).toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  it("differs between deployments that differ in namespace, name or uid", () => {
    fc.assert(
      fc.property(deployment, text, (d, other) => {
        const name = sandboxNameFor(d);
        fc.pre(other !== d.metadata.name);
        expect(sandboxNameFor({ metadata: { ...d.metadata, name: other } })).not.toBe(name);
        fc.pre(other !== d.metadata.uid);
        expect(sandboxNameFor({ metadata: { ...d.metadata, uid: other } })).not.toBe(name);
      }),
    );
    const base = { name: "echo", uid: "u1" };
    expect(sandboxNameFor({ metadata: { ...base, namespace: "team-a" } })).not.toBe(
      sandboxNameFor({ metadata: { ...base, namespace: "team-b" } }),
    );
  });

  it("treats an omitted namespace as the registry does: as default", () => {
    const metadata = { name: "echo", uid: "u1" };
    expect(sandboxNameFor({ metadata })).toBe(
      sandboxNameFor({ metadata: { ...metadata, namespace: "default" } }),
    );
    expect(sandboxNameFor({ metadata: { ...metadata, namespace: "" } })).toBe(sandboxNameFor({ metadata }));
  });

  it("keeps the fixture deployment's name stable across releases (an earlier adapter's sandboxes stay found)", () => {
    // Pinned on purpose: changing how names are made would orphan every sandbox already deployed.
    // The hash part, computed independently with Python: base64.b32encode(sha256(
    // '["team-a","echo-agent-prod","0d7f3f0a-8e2b-4a52-b1a4-6f0c2e9d7b31"]')).lower()[:8].
    const name = sandboxNameFor(deploymentSchema.parse(load("deployment-a2a.json")));
    expect(name).toBe("ar-echo-ag-bvwbtlh3");
  });
});

describe("identityLabels / identityFromLabels", () => {
  it("are valid gateway labels (SDK and Kubernetes rules) and read back to the same identity", () => {
    fc.assert(
      fc.property(deployment, (d) => {
        const labels = identityLabels(d);
        expect(labelsSchema.safeParse(labels).success).toBe(true);
        for (const [key, value] of Object.entries(labels)) expect(isKubernetesLabel(key, value)).toBe(true);
        const expected: DeploymentIdentity = {
          deploymentName: d.metadata.name,
          namespace:
            d.metadata.namespace === undefined || d.metadata.namespace === ""
              ? "default"
              : d.metadata.namespace,
          targetKind: d.spec.targetRef.kind,
          targetName: d.spec.targetRef.name,
        };
        if (d.metadata.uid !== undefined && d.metadata.uid !== "") expected.uid = d.metadata.uid;
        if (d.spec.targetRef.tag !== undefined && d.spec.targetRef.tag !== "")
          expected.targetTag = d.spec.targetRef.tag;
        expect(identityFromLabels(labels)).toEqual(expected);
        // The deployment's own selector matches its labels.
        for (const [key, value] of Object.entries(deploymentSelector(d))) expect(labels[key]).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps readable names readable and encodes the rest (an MCP server's reverse-DNS name)", () => {
    const labels = identityLabels(
      deploymentSchema.parse(load("deployment-mcp.json")),
      mcpServerSchema.parse(load("mcp-server.json")),
    );
    expect(labels["agent-registry.openshell.ai/deployment"]).toBe("weather");
    expect(labels["agent-registry.openshell.ai/namespace"]).toBe("team-a");
    expect(labels["agent-registry.openshell.ai/target-kind"]).toBe("MCPServer");
    expect(labels["agent-registry.openshell.ai/target-tag"]).toBe("0.3.0");
    expect(labels["agent-registry.openshell.ai/target-name"]).toBeUndefined();
    expect(labels["agent-registry.openshell.ai/target-name.0"]).toMatch(/^[a-z2-7]+$/);
    expect(identityFromLabels(labels)?.targetName).toBe("io.github.acme/weather");
  });

  it("the target's own tag wins over the deployment's targetRef", () => {
    const d = { metadata: { name: "echo" }, spec: { targetRef: { kind: "Agent", name: "echo-agent" } } };
    const labels = identityLabels(d, { kind: "Agent", metadata: { name: "echo-agent", tag: "1.2.0" } });
    expect(identityFromLabels(labels)?.targetTag).toBe("1.2.0");
  });

  it("finds nothing in labels another program made or that lost a part", () => {
    expect(identityFromLabels({})).toBeUndefined();
    expect(identityFromLabels({ "openshell.ai/managed-by": "openshell" })).toBeUndefined();
    const labels = identityLabels({
      metadata: { name: "echo" },
      spec: { targetRef: { kind: "Agent", name: "a" } },
    });
    const { "agent-registry.openshell.ai/target-name": _gone, ...partial } = labels;
    expect(identityFromLabels(partial)).toBeUndefined();
    expect(
      identityFromLabels({ ...labels, "agent-registry.openshell.ai/managed-by": "someone-else" }),
    ).toBeUndefined();
    expect(managedSelector()).toEqual({
      "agent-registry.openshell.ai/managed-by": "openshell-agent-registry",
    });
  });

  it("refuses a name too long for labels, naming the field", () => {
    const d = { metadata: { name: "n".repeat(600) }, spec: { targetRef: { kind: "Agent", name: "a" } } };
    // A plain name longer than 63 characters is encoded, and 600 bytes are more than labels hold.
    expect(() => identityLabels(d)).toThrow(InvalidArgumentError);
    try {
      identityLabels(d);
    } catch (error) {
      expect((error as InvalidArgumentError).field).toBe("deployment.metadata.name");
    }
  });
});
