import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveGateway } from "../../../../src/connect/discovery/resolve-gateway.js";
import { allMtls, ConfigFixture, label } from "./config-fixture.js";
import { expectConfigError } from "./expect-config-error.js";

let fx: ConfigFixture;
beforeEach(async () => {
  fx = await ConfigFixture.create();
});
afterEach(async () => {
  await fx.cleanup();
});

/** A plaintext gateway needs no credential files, which keeps precedence tests about precedence. */
const plain = (endpoint: string) => ({ metadata: { gateway_endpoint: endpoint, auth_mode: "plaintext" } });

describe("resolveGateway: which gateway", () => {
  it("1. an explicit endpoint option wins over everything else", async () => {
    await fx.addGateway(fx.userRoot, "named", plain("http://127.0.0.1:1111"));
    await fx.setActive(fx.userRoot, "named");
    const target = await resolveGateway(
      fx.options(
        { endpoint: "http://127.0.0.1:9999" },
        { OPENSHELL_GATEWAY_ENDPOINT: "http://127.0.0.1:8888", OPENSHELL_GATEWAY: "named" },
      ),
    );
    expect(target.endpoint).toBe("http://127.0.0.1:9999");
  });

  it("1. OPENSHELL_GATEWAY_ENDPOINT is used when the option is absent or blank", async () => {
    const env = { OPENSHELL_GATEWAY_ENDPOINT: "http://127.0.0.1:8888/" };
    expect((await resolveGateway(fx.options({}, env))).endpoint).toBe("http://127.0.0.1:8888");
    expect((await resolveGateway(fx.options({ endpoint: "  " }, env))).endpoint).toBe(
      "http://127.0.0.1:8888",
    );
  });

  it("1. an endpoint without a scheme means https", async () => {
    const target = await resolveGateway(fx.options({ endpoint: "gw.example.com:17670" }));
    expect(target.endpoint).toBe("https://gw.example.com:17670");
    expect(target.tls).toMatchObject({ insecureSkipVerify: false });
  });

  it("1. an unregistered endpoint has no stored credentials: system roots, no auth, no name", async () => {
    await fx.addGateway(fx.userRoot, "other", {
      metadata: { gateway_endpoint: "https://127.0.0.1:17670" },
      mtls: allMtls,
    });
    const target = await resolveGateway(fx.options({ endpoint: "https://127.0.0.1:17671" }));
    expect(target.name).toBeUndefined();
    expect(target.auth).toEqual({ kind: "none" });
    expect(target.tls).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      serverName: undefined,
      insecureSkipVerify: false,
    });
  });

  it("1. an explicit endpoint takes credentials from the gateway registered at that endpoint", async () => {
    await fx.addGateway(fx.userRoot, "a-other", { metadata: { gateway_endpoint: "https://127.0.0.1:1" } });
    await fx.addGateway(fx.userRoot, "local", {
      metadata: { gateway_endpoint: "https://127.0.0.1:17670/" },
      mtls: allMtls,
    });
    const target = await resolveGateway(fx.options({ endpoint: "127.0.0.1:17670" }));
    expect(target.name).toBe("local");
    expect(target.endpoint).toBe("https://127.0.0.1:17670");
    expect(label(target.tls?.cert)).toBe("tls.crt of local");
  });

  it("1. the endpoint match looks in the system root too, and skips broken registrations", async () => {
    await fx.addGateway(fx.userRoot, "broken", { metadata: "{ nope" });
    await fx.addGateway(fx.systemRoot, "shared", {
      metadata: { endpoint: "https://gw.corp:17670" },
      mtls: allMtls,
    });
    const target = await resolveGateway(fx.options({ endpoint: "https://gw.corp:17670" }));
    expect(target.name).toBe("shared");
    expect(label(target.tls?.key)).toBe("tls.key of shared");
    expect(target.consulted.some((c) => c.includes("broken") && c.includes("skipped"))).toBe(true);
  });

  it("1. a user registration hides a system registration of the same name when matching endpoints", async () => {
    await fx.addGateway(fx.userRoot, "gw", plain("http://127.0.0.1:5000"));
    await fx.addGateway(fx.systemRoot, "gw", { metadata: { gateway_endpoint: "https://10.1.1.1:17670" } });
    const target = await resolveGateway(fx.options({ endpoint: "https://10.1.1.1:17670" }));
    expect(target.name).toBeUndefined();
  });

  it("1. with an explicit name, credentials come from that gateway, not its registered endpoint", async () => {
    await fx.addGateway(fx.userRoot, "prod", {
      metadata: { gateway_endpoint: "https://prod.internal:17670" },
      mtls: allMtls,
    });
    const target = await resolveGateway(fx.options({ endpoint: "https://10.0.0.9:17670", gateway: "prod" }));
    expect(target.endpoint).toBe("https://10.0.0.9:17670");
    expect(target.name).toBe("prod");
    expect(label(target.tls?.ca)).toBe("ca.crt of prod");
  });

  it("1. an explicit endpoint with an unknown name is an error naming the folders looked in", async () => {
    const err = await expectConfigError(
      resolveGateway(fx.options({ endpoint: "https://10.0.0.9:17670" }, { OPENSHELL_GATEWAY: "ghost" })),
    );
    expect(err.source).toBe("OPENSHELL_GATEWAY");
    expect(err.message).toContain(path.join(fx.userRoot, "gateways", "ghost"));
    expect(err.message).toContain(path.join(fx.systemRoot, "gateways", "ghost"));
  });

  it("2. the gateway option beats OPENSHELL_GATEWAY, which beats active_gateway", async () => {
    await fx.addGateway(fx.userRoot, "opt", plain("http://127.0.0.1:1001"));
    await fx.addGateway(fx.userRoot, "env", plain("http://127.0.0.1:1002"));
    await fx.addGateway(fx.userRoot, "active", plain("http://127.0.0.1:1003"));
    await fx.setActive(fx.userRoot, "active");
    const both = await resolveGateway(fx.options({ gateway: "opt" }, { OPENSHELL_GATEWAY: "env" }));
    expect(both.name).toBe("opt");
    expect(both.endpoint).toBe("http://127.0.0.1:1001");
    expect((await resolveGateway(fx.options({}, { OPENSHELL_GATEWAY: "env" }))).name).toBe("env");
    expect((await resolveGateway(fx.options({}, { OPENSHELL_GATEWAY: "   " }))).name).toBe("active");
    expect((await resolveGateway(fx.options({ gateway: "" }))).name).toBe("active");
  });

  it("2. a named gateway that does not exist names the folders looked in and the name's source", async () => {
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "ghost" })));
    expect(err.source).toBe("option gateway");
    expect(err.message).toContain("ghost");
    expect(err.message).toContain(path.join(fx.userRoot, "gateways", "ghost", "metadata.json"));
    expect(err.message).toContain(path.join(fx.systemRoot, "gateways", "ghost", "metadata.json"));
  });

  it("2. a user gateway hides a system gateway of the same name; system-only names are found", async () => {
    await fx.addGateway(fx.userRoot, "gw", plain("http://127.0.0.1:2001"));
    await fx.addGateway(fx.systemRoot, "gw", plain("http://127.0.0.1:2002"));
    await fx.addGateway(fx.systemRoot, "sys-only", plain("http://127.0.0.1:2003"));
    expect((await resolveGateway(fx.options({ gateway: "gw" }))).endpoint).toBe("http://127.0.0.1:2001");
    expect((await resolveGateway(fx.options({ gateway: "sys-only" }))).endpoint).toBe(
      "http://127.0.0.1:2003",
    );
  });

  it("2. a registered gateway without an endpoint is an error naming its metadata.json", async () => {
    await fx.addGateway(fx.userRoot, "bare", { metadata: { name: "bare" } });
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "bare" })));
    const file = path.join(fx.userRoot, "gateways", "bare", "metadata.json");
    expect(err.source).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toContain("gateway_endpoint");
  });

  it("2. a registered endpoint that is not a URL is an error naming its metadata.json", async () => {
    await fx.addGateway(fx.userRoot, "bad", plain("ftp://host:21"));
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "bad" })));
    expect(err.source).toBe(path.join(fx.userRoot, "gateways", "bad", "metadata.json"));
  });

  it("3. the user root's active_gateway (trimmed) is used next", async () => {
    await fx.addGateway(fx.userRoot, "mine", plain("http://127.0.0.1:3001"));
    await fx.addGateway(fx.systemRoot, "theirs", plain("http://127.0.0.1:3002"));
    await fx.setActive(fx.userRoot, "  mine\n");
    await fx.setActive(fx.systemRoot, "theirs");
    const target = await resolveGateway(fx.options());
    expect(target.name).toBe("mine");
    expect(target.endpoint).toBe("http://127.0.0.1:3001");
  });

  it("3. XDG_CONFIG_HOME moves the user root", async () => {
    const xdg = path.join(fx.base, "xdg");
    const root = path.join(xdg, "openshell");
    await fx.addGateway(root, "xdg-gw", plain("http://127.0.0.1:3003"));
    await fx.setActive(root, "xdg-gw");
    const target = await resolveGateway(fx.options({}, { XDG_CONFIG_HOME: xdg }));
    expect(target.name).toBe("xdg-gw");
  });

  it("4. the system root's active_gateway is used last, still preferring a user gateway of that name", async () => {
    await fx.addGateway(fx.systemRoot, "corp", plain("http://127.0.0.1:4001"));
    await fx.setActive(fx.systemRoot, "corp");
    expect((await resolveGateway(fx.options())).endpoint).toBe("http://127.0.0.1:4001");
    await fx.addGateway(fx.userRoot, "corp", plain("http://127.0.0.1:4002"));
    expect((await resolveGateway(fx.options())).endpoint).toBe("http://127.0.0.1:4002");
  });

  it("3/4. an active_gateway naming an unregistered gateway is an error naming that file", async () => {
    await fx.setActive(fx.userRoot, "gone");
    const err = await expectConfigError(resolveGateway(fx.options()));
    expect(err.source).toBe(path.join(fx.userRoot, "active_gateway"));
    expect(err.message).toContain("gone");
  });

  it("5. nothing configured: the error lists every variable and file looked at and how to fix it", async () => {
    const err = await expectConfigError(resolveGateway(fx.options()));
    expect(err.message).toContain("no gateway configured");
    for (const looked of [
      "option endpoint",
      "OPENSHELL_GATEWAY_ENDPOINT",
      "option gateway",
      "OPENSHELL_GATEWAY ",
      path.join(fx.userRoot, "active_gateway"),
      path.join(fx.systemRoot, "active_gateway"),
    ]) {
      expect(err.message).toContain(looked);
    }
    expect(err.message).toContain("pass `endpoint`");
    expect(err.message).toContain("set OPENSHELL_GATEWAY_ENDPOINT");
    expect(err.message).toContain("openshell CLI");
  });

  it("uses /etc/openshell as the system root when OPENSHELL_SYSTEM_GATEWAY_DIR is relative", async () => {
    const err = await expectConfigError(
      resolveGateway({ homeDir: fx.home, platform: "linux", env: { OPENSHELL_SYSTEM_GATEWAY_DIR: "rel" } }),
    );
    expect(err.message).toContain("/etc/openshell/active_gateway");
  });
});

describe("resolveGateway: gateway names", () => {
  for (const [where, options, env] of [
    ["option gateway", { gateway: "../evil" }, {}],
    ["OPENSHELL_GATEWAY", {}, { OPENSHELL_GATEWAY: "a/b" }],
    ["OPENSHELL_GATEWAY", {}, { OPENSHELL_GATEWAY: ".." }],
    ["option gateway", { gateway: "a\\b" }, {}],
  ] as const) {
    it(`rejects ${JSON.stringify(options.gateway ?? env.OPENSHELL_GATEWAY)} from ${where}`, async () => {
      const err = await expectConfigError(resolveGateway(fx.options(options, env)));
      expect(err.source).toBe(where);
      expect(err.message).toContain(where);
    });
  }

  it("rejects a bad or empty name in active_gateway, naming the file", async () => {
    await fx.setActive(fx.userRoot, "../../etc");
    let err = await expectConfigError(resolveGateway(fx.options()));
    expect(err.source).toBe(path.join(fx.userRoot, "active_gateway"));
    expect(err.message).toContain(path.join(fx.userRoot, "active_gateway"));
    await fx.setActive(fx.userRoot, " \n");
    err = await expectConfigError(resolveGateway(fx.options()));
    expect(err.message).toContain("is empty");
    expect(err.source).toBe(path.join(fx.userRoot, "active_gateway"));
  });
});

describe("resolveGateway: endpoints and workspace", () => {
  it("rejects an invalid endpoint or scheme naming the option or variable", async () => {
    let err = await expectConfigError(resolveGateway(fx.options({ endpoint: "ftp://h:1" })));
    expect(err.source).toBe("option endpoint");
    expect(err.message).toContain("option endpoint");
    err = await expectConfigError(
      resolveGateway(fx.options({}, { OPENSHELL_GATEWAY_ENDPOINT: "http://a b" })),
    );
    expect(err.source).toBe("OPENSHELL_GATEWAY_ENDPOINT");
  });

  it("takes the workspace from the option, then OPENSHELL_WORKSPACE, else default", async () => {
    const opts = (o: object, env: Record<string, string> = {}) =>
      fx.options({ endpoint: "http://127.0.0.1:1", ...o }, env);
    expect((await resolveGateway(opts({}))).workspace).toBe("default");
    expect((await resolveGateway(opts({}, { OPENSHELL_WORKSPACE: "team" }))).workspace).toBe("team");
    expect(
      (await resolveGateway(opts({ workspace: "mine" }, { OPENSHELL_WORKSPACE: "team" }))).workspace,
    ).toBe("mine");
  });

  it("reports what it consulted", async () => {
    await fx.addGateway(fx.userRoot, "gw", plain("http://127.0.0.1:1"));
    await fx.setActive(fx.userRoot, "gw");
    const target = await resolveGateway(fx.options());
    expect(target.consulted).toContain(`${path.join(fx.userRoot, "active_gateway")} (names "gw")`);
    expect(target.consulted).toContain("OPENSHELL_GATEWAY_ENDPOINT (not set)");
  });
});
