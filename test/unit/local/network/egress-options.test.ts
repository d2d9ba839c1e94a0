import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { validateEgressOptions } from "../../../../src/local/network/egress-options.js";
import { createCertificateAuthority } from "../../../support/certs.js";

function rejection(options: unknown): InvalidArgumentError {
  try {
    validateEgressOptions(options as Parameters<typeof validateEgressOptions>[0]);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("the local gateway's egress options", () => {
  it("takes what they document, and leaves the other options alone", () => {
    expect(() =>
      validateEgressOptions({
        hostAlias: "loopback",
        hostIsolation: "best-effort",
        egressHosts: { "api.internal.test": "127.0.0.1", "v6.internal.test": "::1" },
        ...{ runtime: "docker", defaultImage: "x" },
      }),
    ).not.toThrow();
    expect(() => validateEgressOptions({})).not.toThrow();
  });

  it("refuses anything else, naming the option", () => {
    expect(rejection({ hostAlias: "127.0.0.1" })).toMatchObject({ field: "hostAlias" });
    expect(rejection({ hostAlias: true })).toMatchObject({ field: "hostAlias" });
    expect(rejection({ hostIsolation: "off" })).toMatchObject({ field: "hostIsolation" });
    const name = rejection({ egressHosts: { "api.test": "localhost" } });
    expect(name.message).toBe("invalid options.egressHosts.api.test: must be an IPv4 or IPv6 address");
    expect(name.field).toBe("egressHosts.api.test");
    expect(rejection({ egressHosts: { "api.test:8080": "10.0.0.1" } }).message).toMatch(
      /^invalid options\.egressHosts\.api\.test:8080: must be a host name/,
    );
    expect(rejection({ egressHosts: ["10.0.0.1"] })).toMatchObject({ field: "egressHosts" });
  });

  it("takes trusted upstream CAs as PEM certificates, naming the entry that is not one", async () => {
    const one = (await createCertificateAuthority("trusted-one")).cert;
    const two = (await createCertificateAuthority("trusted-two")).cert;
    expect(() => validateEgressOptions({ egressTrustedCertificates: [one, `${one}\n${two}`] })).not.toThrow();
    const garbled = rejection({ egressTrustedCertificates: [one, one.replace(/[A-Za-z]{20}\n/, "!!\n")] });
    expect(garbled.field).toBe("egressTrustedCertificates.1");
    expect(garbled.message).toBe(
      "invalid options.egressTrustedCertificates.1: must be PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
    );
    expect(rejection({ egressTrustedCertificates: ["hello"] }).field).toBe("egressTrustedCertificates.0");
    expect(rejection({ egressTrustedCertificates: one }).field).toBe("egressTrustedCertificates");
  });
});
