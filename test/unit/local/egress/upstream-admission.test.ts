import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type NetworkPolicyRuleSchema,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import type { EgressClient } from "../../../../src/local/egress/egress-types.js";
import { type AdmissionContext, admit } from "../../../../src/local/egress/upstream-admission.js";

/** What the gateway's own resolver knows: the host alias opted into loopback, and an embedder's names. */
const names: Record<string, string> = {
  "host.openshell.internal": "127.0.0.1",
  "api.internal.test": "127.0.0.1",
  "metadata.internal.test": "169.254.169.254",
  "lan.internal.test": "192.0.2.10",
};
const ctx: AdmissionContext = {
  resolve: (host) => names[host],
  self: () => ({ host: "10.1.0.1", port: 3128 }),
};

function clientWith(rules: Record<string, MessageInitShape<typeof NetworkPolicyRuleSchema>>): EgressClient {
  const { networkPolicies } = create(SandboxPolicySchema, { networkPolicies: rules });
  return { sandboxId: "sb-1", sandboxName: "agent", policy: compileEgressPolicy(networkPolicies) };
}

const connect = (host: string, port = 8080) => ({ kind: "connect" as const, host, port });

describe("admitting a request to a name the gateway resolves itself to its host's loopback", () => {
  it('refuses it to a rule that allows every host on the port (host "", allowed_ips 0.0.0.0/0)', async () => {
    const client = clientWith({ anything: { endpoints: [{ port: 8080, allowedIps: ["0.0.0.0/0"] }] } });
    for (const host of ["host.openshell.internal", "api.internal.test"]) {
      const admission = await admit(ctx, client, connect(host));
      expect(admission, host).toMatchObject({ ok: false, status: 403 });
      expect(admission.decision.reason, host).toBe(
        `${host}:8080 resolves to 127.0.0.1, which is a loopback address, reached only by an endpoint ` +
          `that names ${host} exactly; rule "anything" matches it with no host`,
      );
    }
  });

  it("refuses it to a glob rule, even with allowed_ips that cover loopback", async () => {
    const client = clientWith({
      internal: {
        endpoints: [
          { host: "*.openshell.internal", port: 8080, allowedIps: ["0.0.0.0/0", "127.0.0.0/8"] },
          { host: "**.internal.test", port: 8080 },
        ],
      },
    });
    const alias = await admit(ctx, client, connect("host.openshell.internal"));
    expect(alias).toMatchObject({ ok: false, status: 403 });
    expect(alias.decision.reason).toMatch(
      /resolves to 127\.0\.0\.1, which is a loopback address, reached only by an endpoint that names host\.openshell\.internal exactly; rule "internal" matches it by the glob "\*\.openshell\.internal"$/,
    );
    expect(await admit(ctx, client, connect("api.internal.test"))).toMatchObject({ ok: false, status: 403 });
    const metadata = await admit(ctx, client, connect("metadata.internal.test"));
    expect(metadata.decision.reason).toMatch(/169\.254\.169\.254, which is a link-local address/);
  });

  it("admits it to a rule that names the host exactly, at the resolver's address", async () => {
    const client = clientWith({
      host: { endpoints: [{ host: "host.openshell.internal", port: 8080 }] },
      api: { endpoints: [{ host: "api.internal.test", port: 8080 }] },
      anything: { endpoints: [{ port: 8080, allowedIps: ["0.0.0.0/0"] }] },
    });
    for (const host of ["host.openshell.internal", "api.internal.test"]) {
      const admission = await admit(ctx, client, connect(host));
      expect(admission, host).toMatchObject({ ok: true, address: "127.0.0.1", decision: { allowed: true } });
    }
  });

  it("treats a name the resolver maps to an ordinary address like one DNS answered", async () => {
    const broad = clientWith({ lan: { endpoints: [{ port: 8080, allowedIps: ["192.0.2.0/24"] }] } });
    expect(await admit(ctx, broad, connect("lan.internal.test"))).toMatchObject({
      ok: true,
      address: "192.0.2.10",
    });
  });

  it("still refuses loopback that DNS or an IP literal names, to any rule", async () => {
    const client = clientWith({ anything: { endpoints: [{ port: 8080, allowedIps: ["0.0.0.0/0"] }] } });
    const literal = await admit(ctx, client, connect("127.0.0.1"));
    expect(literal.decision.reason).toBe(
      "127.0.0.1 is a loopback address, which the egress proxy never connects to",
    );
  });
});
