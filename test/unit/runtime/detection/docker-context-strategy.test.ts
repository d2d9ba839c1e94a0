import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  contextId,
  dockerContextStrategy,
} from "../../../../src/runtime/detection/docker-context-strategy.js";
import { detectionContext } from "../../../../src/runtime/detection/index.js";

/** Lays a docker CLI config folder out as `docker context create` does. */
function writeContext(
  configDir: string,
  name: string,
  docker: Record<string, unknown>,
  tlsFiles: string[] = [],
): string {
  const id = createHash("sha256").update(name).digest("hex");
  const metaDir = join(configDir, "contexts", "meta", id);
  mkdirSync(metaDir, { recursive: true });
  writeFileSync(
    join(metaDir, "meta.json"),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker } }),
  );
  const tlsDir = join(configDir, "contexts", "tls", id, "docker");
  for (const file of tlsFiles) {
    mkdirSync(tlsDir, { recursive: true });
    writeFileSync(join(tlsDir, file), "PEM");
  }
  return tlsDir;
}

describe("dockerContextStrategy", () => {
  let home: string;
  let dockerDir: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "openshell-ctx-"));
    dockerDir = join(home, ".docker");
    mkdirSync(dockerDir, { recursive: true });
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = (env: Record<string, string> = {}) =>
    dockerContextStrategy(detectionContext({ env, homedir: home, platform: "linux" }));

  it("names contexts by the SHA-256 of their name, as the docker CLI does", () => {
    expect(contextId("default")).toBe("37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f");
  });

  it("proposes nothing without config.json, without currentContext, or with the default context", async () => {
    expect(await run()).toEqual([]);
    writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ auths: {} }));
    expect(await run()).toEqual([]);
    writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ currentContext: "default" }));
    expect(await run()).toEqual([]);
    expect(await run({ DOCKER_CONTEXT: "default" })).toEqual([]);
  });

  it("reads the current context's endpoint from its meta.json", async () => {
    writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ currentContext: "colima" }));
    writeContext(dockerDir, "colima", {
      Host: "unix:///Users/me/.colima/default/docker.sock",
      SkipTLSVerify: false,
    });
    expect(await run()).toEqual([
      {
        type: "endpoint",
        engines: ["docker", "podman"],
        endpoint: { kind: "unix", socketPath: "/Users/me/.colima/default/docker.sock" },
        source: `docker context "colima" from currentContext in ${join(dockerDir, "config.json")}`,
      },
    ]);
  });

  it("takes DOCKER_CONTEXT over currentContext, and DOCKER_CONFIG over ~/.docker", async () => {
    writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ currentContext: "colima" }));
    writeContext(dockerDir, "colima", { Host: "unix:///colima.sock" });
    writeContext(dockerDir, "remote", { Host: "unix:///remote.sock" });
    expect(await run({ DOCKER_CONTEXT: "remote" })).toMatchObject([
      { endpoint: { socketPath: "/remote.sock" }, source: 'docker context "remote" from DOCKER_CONTEXT' },
    ]);

    const other = join(home, "other-config");
    mkdirSync(other);
    writeFileSync(join(other, "config.json"), JSON.stringify({ currentContext: "podman" }));
    writeContext(other, "podman", { Host: "unix:///run/user/1000/podman/podman.sock" });
    expect(await run({ DOCKER_CONFIG: other })).toMatchObject([
      { endpoint: { socketPath: "/run/user/1000/podman/podman.sock" } },
    ]);
  });

  it("uses the context's TLS files, verifying unless SkipTLSVerify", async () => {
    const tlsDir = writeContext(dockerDir, "secure", { Host: "tcp://engine:2376", SkipTLSVerify: false }, [
      "ca.pem",
      "cert.pem",
      "key.pem",
    ]);
    expect(await run({ DOCKER_CONTEXT: "secure" })).toMatchObject([
      {
        endpoint: {
          kind: "tcp",
          host: "engine",
          port: 2376,
          tls: {
            caFile: join(tlsDir, "ca.pem"),
            certFile: join(tlsDir, "cert.pem"),
            keyFile: join(tlsDir, "key.pem"),
            verify: true,
          },
        },
      },
    ]);
    writeContext(dockerDir, "lax", { Host: "tcp://engine:2376", SkipTLSVerify: true }, [
      "ca.pem",
      "cert.pem",
      "key.pem",
    ]);
    expect(await run({ DOCKER_CONTEXT: "lax" })).toMatchObject([{ endpoint: { tls: { verify: false } } }]);
  });

  it("uses plain tcp for a context without TLS files", async () => {
    writeContext(dockerDir, "plain", { Host: "tcp://engine:2375" });
    const [proposal] = await run({ DOCKER_CONTEXT: "plain" });
    expect(proposal).toMatchObject({ endpoint: { kind: "tcp", host: "engine", port: 2375 } });
    expect(proposal?.type === "endpoint" && proposal.endpoint).not.toHaveProperty("tls");
  });

  it("reports TLS setups it cannot carry: some files missing, or SkipTLSVerify without files", async () => {
    writeContext(dockerDir, "ca-only", { Host: "tcp://engine:2376" }, ["ca.pem"]);
    expect(await run({ DOCKER_CONTEXT: "ca-only" })).toMatchObject([
      {
        type: "broken",
        location: "tcp://engine:2376",
        reason: expect.stringContaining("lacks cert.pem, key.pem"),
      },
    ]);
    writeContext(dockerDir, "skip", { Host: "tcp://engine:2376", SkipTLSVerify: true });
    expect(await run({ DOCKER_CONTEXT: "skip" })).toMatchObject([
      { type: "broken", reason: expect.stringContaining("lacks ca.pem, cert.pem, key.pem") },
    ]);
  });

  it("reports a context that does not exist, a meta.json without a host, and unreadable JSON", async () => {
    expect(await run({ DOCKER_CONTEXT: "gone" })).toMatchObject([
      {
        type: "broken",
        source: 'docker context "gone" from DOCKER_CONTEXT',
        reason: expect.stringContaining("no such context"),
      },
    ]);
    writeContext(dockerDir, "hostless", {});
    expect(await run({ DOCKER_CONTEXT: "hostless" })).toMatchObject([
      { type: "broken", reason: "the context has no Endpoints.docker.Host" },
    ]);
    writeFileSync(join(dockerDir, "config.json"), "{ not json");
    expect(await run()).toMatchObject([
      {
        type: "broken",
        location: join(dockerDir, "config.json"),
        reason: expect.stringContaining("not valid JSON"),
      },
    ]);
  });

  it("proposes an ssh context as ssh (the probe then explains it is not pinged)", async () => {
    writeContext(dockerDir, "far", { Host: "ssh://me@far.example" });
    expect(await run({ DOCKER_CONTEXT: "far" })).toMatchObject([
      { type: "endpoint", endpoint: { kind: "ssh", host: "far.example", username: "me", port: 22 } },
    ]);
  });
});
