import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { deprecatedTlsValues } from "../../../../src/local/egress/deprecated-tls.js";

describe("deprecatedTlsValues", () => {
  it("names every endpoint with tls terminate or passthrough, and says they mean auto", () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: {
        gh: {
          endpoints: [
            { host: "a.test", port: 443 },
            { host: "b.test", port: 443, tls: "Terminate" },
          ],
        },
        pypi: { endpoints: [{ host: "c.test", port: 443, tls: "passthrough" }] },
        raw: { endpoints: [{ host: "d.test", port: 443, tls: "skip" }] },
      },
    });
    expect(deprecatedTlsValues(networkPolicies)).toBe(
      'tls "terminate" and "passthrough" are deprecated and mean the same as leaving tls empty: the egress ' +
        'proxy detects TLS and terminates it on every endpoint ("skip" keeps a raw tunnel). Set in ' +
        'network_policies["gh"].endpoints[1].tls ("Terminate"), network_policies["pypi"].endpoints[0].tls ("passthrough")',
    );
  });

  it("says nothing when no endpoint uses them", () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: {
        raw: {
          endpoints: [
            { host: "d.test", port: 443, tls: "skip" },
            { host: "e.test", port: 80 },
          ],
        },
      },
    });
    expect(deprecatedTlsValues(networkPolicies)).toBeUndefined();
  });
});
