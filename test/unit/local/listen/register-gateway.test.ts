import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveGateway } from "../../../../src/connect/discovery/resolve-gateway.js";
import { AlreadyExistsError, InvalidArgumentError } from "../../../../src/errors.js";
import {
  ensureGatewayCertificates,
  type GatewayCertificates,
} from "../../../../src/local/listen/gateway-certificates.js";
import {
  type RegisterGatewayOptions,
  registerGateway,
} from "../../../../src/local/listen/register-gateway.js";
import { setActiveGateway, writeGatewayConfig } from "../../../support/certs.js";
import { labelledPem } from "../../connect/discovery/config-fixture.js";

let base: string;
let certs: GatewayCertificates;
let configHome: string;
let root: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "openshell-register-"));
  certs = await ensureGatewayCertificates(join(base, "tls"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
beforeEach(async () => {
  configHome = await mkdtemp(join(base, "xdg-"));
  root = join(configHome, "openshell");
});

/** What `OpenShell.connect()` would use, reading only this test's config root. */
const discover = (gateway?: string) =>
  resolveGateway({
    gateway,
    env: { XDG_CONFIG_HOME: configHome, OPENSHELL_SYSTEM_GATEWAY_DIR: join(configHome, "no-system") },
  });
const mode = async (file: string) => (await stat(file)).mode & 0o777;
const endpoint = "https://127.0.0.1:41234";

/** Registers "local" at `endpoint` under this test's root, with any option replaced. */
const register = (options: Partial<RegisterGatewayOptions> = {}) =>
  registerGateway({ name: "local", endpoint, certificates: certs, configRoot: root, ...options });

describe("registerGateway", () => {
  it("registers an mTLS gateway that discovery finds by name, with its certificates", async () => {
    const registration = await register();
    expect(registration.dir).toBe(join(root, "gateways", "local"));

    const target = await discover("local");
    expect(target.name).toBe("local");
    expect(target.endpoint).toBe(endpoint);
    expect(target.tls?.ca?.toString()).toBe(certs.ca);
    expect(target.tls?.cert?.toString()).toBe(certs.client.cert);
    expect(target.tls?.key?.toString()).toBe(certs.client.key);
    expect(target.auth.kind).toBe("none");

    const metadata = JSON.parse(await readFile(join(registration.dir, "metadata.json"), "utf8"));
    expect(metadata).toMatchObject({
      name: "local",
      gateway_endpoint: endpoint,
      is_remote: false,
      gateway_port: 41234,
      auth_mode: "mtls",
    });
  });

  it("keeps the gateway and mtls folders 0700 and the key 0600", async () => {
    const { dir } = await register();
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, "mtls"))).toBe(0o700);
    expect(await mode(join(dir, "mtls", "tls.key"))).toBe(0o600);
  });

  it.each([
    ["", /is empty/],
    ["..", /relative path/],
    [".", /relative path/],
    ["a/b", /path separator/],
    ["..\\evil", /path separator/],
    ["nul\0", /NUL/],
  ])("refuses the name %j as discovery would, writing nothing", async (name, why) => {
    const err = await register({ name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("name");
    expect((err as Error).message).toMatch(why);
    expect(existsSync(root)).toBe(false);
  });

  it.each(["http://127.0.0.1:8080", "ftp://127.0.0.1", "not a url at all"])(
    "refuses the endpoint %s",
    async (bad) => {
      const err = await register({ endpoint: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("endpoint");
      expect(existsSync(root)).toBe(false);
    },
  );

  it("defaults to the user config root discovery reads", async () => {
    const { configRoot } = await register({ configRoot: undefined, env: { XDG_CONFIG_HOME: configHome } });
    expect(configRoot).toBe(root);
    expect((await discover("local")).endpoint).toBe(endpoint);

    const home = await mkdtemp(join(base, "home-"));
    const fromHome = await register({ configRoot: undefined, env: {}, homeDir: home });
    expect(fromHome.configRoot).toBe(join(home, ".config", "openshell"));
    expect(existsSync(join(home, ".config", "openshell", "gateways", "local", "metadata.json"))).toBe(true);
  });

  it("with makeActive, becomes the gateway clients use when given none", async () => {
    await register({ makeActive: true });
    expect(await readFile(join(root, "active_gateway"), "utf8")).toBe("local\n");
    expect((await discover()).name).toBe("local");
  });

  it("unregister removes the folder and the active_gateway that named it", async () => {
    const registration = await register({ makeActive: true });
    await registration.unregister();
    await registration.unregister();
    expect(existsSync(registration.dir)).toBe(false);
    expect(existsSync(join(root, "active_gateway"))).toBe(false);
    await expect(discover("local")).rejects.toThrow(/is not registered/);
  });

  it("unregisters at the end of an await using block", async () => {
    let dir = "";
    {
      await using registration = await register();
      dir = registration.dir;
      expect(existsSync(join(dir, "metadata.json"))).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("unregister gives active_gateway back to the gateway that was active before", async () => {
    writeGatewayConfig(root, "openshell", { endpoint: "http://127.0.0.1:17670", authMode: "plaintext" });
    setActiveGateway(root, "openshell");
    const registration = await register({ makeActive: true });
    expect((await discover()).name).toBe("local");
    await registration.unregister();
    expect((await discover()).name).toBe("openshell");
  });

  it("unregister leaves active_gateway alone when it names another gateway", async () => {
    const registration = await register();
    setActiveGateway(root, "elsewhere");
    await registration.unregister();
    expect(await readFile(join(root, "active_gateway"), "utf8")).toBe("elsewhere\n");
  });

  it("replaces its own earlier registration, and the old handle then leaves the new one alone", async () => {
    const old = await register();
    const newer = await register({ endpoint: "https://127.0.0.1:41235", makeActive: true });
    await old.unregister();
    expect((await discover()).endpoint).toBe("https://127.0.0.1:41235");
    await newer.unregister();
    expect(existsSync(newer.dir)).toBe(false);
  });

  it("refuses to overwrite a gateway the openshell CLI registered under the same name", async () => {
    // Real PEM (discovery checks it), each with a line that says whose it is.
    const cliKey = await labelledPem("cli key", "key");
    const dir = writeGatewayConfig(root, "openshell", {
      endpoint: "https://gateway.example.com:17670",
      ca: await labelledPem("cli ca", "cert"),
      cert: await labelledPem("cli cert", "cert"),
      key: cliKey,
    });
    const err = await register({ name: "openshell" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as Error).message).toContain(dir);
    expect(await readFile(join(dir, "mtls", "tls.key"), "utf8")).toBe(cliKey);
    expect((await discover("openshell")).endpoint).toBe("https://gateway.example.com:17670");
  });

  it("refuses a folder with unreadable metadata rather than guess whose it is", async () => {
    const dir = writeGatewayConfig(root, "local", { endpoint });
    await writeFile(join(dir, "metadata.json"), "{ not json");
    await expect(register()).rejects.toBeInstanceOf(AlreadyExistsError);
  });
});
