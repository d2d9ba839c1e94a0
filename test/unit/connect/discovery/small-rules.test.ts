import { describe, expect, it } from "vitest";
import { envFlag } from "../../../../src/connect/discovery/env-values.js";
import { checkGatewayName } from "../../../../src/connect/discovery/gateway-name.js";
import { endpointKey, normalizeEndpoint } from "../../../../src/connect/discovery/normalize-endpoint.js";
import { isLoopbackHost } from "../../../../src/connect/discovery/plaintext-guard.js";
import { GatewayConfigError } from "../../../../src/errors.js";

describe("normalizeEndpoint", () => {
  it("adds https:// to a bare host:port and strips trailing slashes", () => {
    expect(normalizeEndpoint("127.0.0.1:17670", "option endpoint")).toBe("https://127.0.0.1:17670");
    expect(normalizeEndpoint("localhost:17670/", "option endpoint")).toBe("https://localhost:17670");
    expect(normalizeEndpoint("http://10.0.0.5:8080//", "option endpoint")).toBe("http://10.0.0.5:8080");
    expect(normalizeEndpoint(" https://gw.example.com ", "option endpoint")).toBe("https://gw.example.com");
  });

  it("rejects other schemes and invalid URLs, naming where the endpoint came from", () => {
    for (const [raw, words] of [
      ["ftp://host:21", "unsupported scheme"],
      ["grpc://host:1", "unsupported scheme"],
      ["https://exa mple.com", "not a valid URL"],
      ["http://", "not a valid URL"],
    ] as const) {
      let caught: unknown;
      try {
        normalizeEndpoint(raw, "OPENSHELL_GATEWAY_ENDPOINT");
      } catch (err) {
        caught = err;
      }
      expect(caught, raw).toBeInstanceOf(GatewayConfigError);
      expect((caught as GatewayConfigError).message).toContain("OPENSHELL_GATEWAY_ENDPOINT");
      expect((caught as GatewayConfigError).message).toContain(words);
      expect((caught as GatewayConfigError).source).toBe("OPENSHELL_GATEWAY_ENDPOINT");
    }
  });

  it("compares endpoints ignoring trailing slashes, host case and default ports", () => {
    expect(endpointKey("https://GW.example.com:443/")).toBe(endpointKey("gw.example.com"));
    expect(endpointKey("http://127.0.0.1:8080")).not.toBe(endpointKey("https://127.0.0.1:8080"));
    expect(endpointKey("::::")).toBeUndefined();
  });
});

describe("checkGatewayName", () => {
  it("accepts one path component", () => {
    for (const name of ["openshell", "my-gw", "gw_2", "a.b", "a..b"])
      expect(checkGatewayName(name, "x")).toBe(name);
  });

  it("rejects empty names, separators and relative components, naming the source", () => {
    for (const name of ["", "a/b", "/abs", "a\\b", "..", "."]) {
      let caught: unknown;
      try {
        checkGatewayName(name, "OPENSHELL_GATEWAY");
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(GatewayConfigError);
      expect((caught as GatewayConfigError).message).toContain("OPENSHELL_GATEWAY");
      expect((caught as GatewayConfigError).source).toBe("OPENSHELL_GATEWAY");
    }
  });
});

describe("envFlag (OPENSHELL_GATEWAY_INSECURE)", () => {
  it("is off when unset, empty, 0 or false in any case", () => {
    for (const value of [undefined, "", "  ", "0", "false", "FALSE", "False", " false "]) {
      expect(
        envFlag({ OPENSHELL_GATEWAY_INSECURE: value }, "OPENSHELL_GATEWAY_INSECURE"),
        String(value),
      ).toBe(false);
    }
  });

  it("is on for anything else", () => {
    for (const value of ["1", "true", "TRUE", "yes", "on", "no"]) {
      expect(envFlag({ OPENSHELL_GATEWAY_INSECURE: value }, "OPENSHELL_GATEWAY_INSECURE"), value).toBe(true);
    }
  });
});

describe("isLoopbackHost", () => {
  it("knows 127.0.0.0/8, ::1 and localhost", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "[::1]",
      "::1",
      "localhost",
      "LOCALHOST",
      "[::ffff:7f00:1]",
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it("treats everything else as remote", () => {
    for (const host of [
      "10.0.0.1",
      "128.0.0.1",
      "gw.example.com",
      "localhost.example.com",
      "[::2]",
      "0.0.0.0",
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
