import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpenShell, Sandbox } from "../../../src/index.js";
import { SANDBOX_NAME_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import { testImages } from "../../support/test-engines.js";
import { type LocalKind, uniqueName } from "./local-gateway-support.js";
import { engineEndpoint, shell, startCredentialSandbox } from "./support/credential-gateway.js";

/** The engine's own view of a container's environment (Config.Env), through its Docker-compatible API. */
async function engineEnv(socketPath: string, sandboxName: string): Promise<string[]> {
  const get = (path: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = httpRequest({ socketPath, path, method: "GET" }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      });
      req.on("error", reject);
      req.end();
    });
  const filters = encodeURIComponent(JSON.stringify({ label: [`${SANDBOX_NAME_LABEL}=${sandboxName}`] }));
  const [summary] = (await get(`/containers/json?all=1&filters=${filters}`)) as { Id: string }[];
  if (summary === undefined) throw new Error(`no container for sandbox ${sandboxName}`);
  const inspect = (await get(`/containers/${summary.Id}/json`)) as { Config: { Env: string[] } };
  return inspect.Config.Env;
}

/**
 * Provider credentials in local mode on one engine, as upstream's supervisor gives them: the
 * sandbox's processes see `openshell:resolve:env:v<revision>_KEY`, never the value, wherever they
 * look; the engine's container config holds no value either; a new exec after the provider changed
 * sees a new revision while the main process keeps the one it started with.
 */
export function describeCredentialEnvironment(kind: LocalKind): void {
  const endpoint = engineEndpoint(kind);
  const SECRET = `ghp_${kind}_FIRST_${Math.random().toString(36).slice(2, 12)}`;
  const SECOND = `ghp_${kind}_SECOND_${Math.random().toString(36).slice(2, 12)}`;
  const providerName = uniqueName("gh");
  let os: OpenShell;
  let sb: Sandbox;

  beforeAll(async () => {
    ({ os, sb } = await startCredentialSandbox({
      kind,
      token: SECRET,
      provider: providerName,
      sandboxPrefix: "cred",
      image: testImages.sandbox,
      env: { GITHUB_TOKEN: "from-the-spec", OTHER: "kept" },
      process: { runAsUser: "sandbox", runAsGroup: "sandbox" },
    }));
  }, 120_000);
  afterAll(async () => {
    await os?.close();
  });

  const placeholder = /^GITHUB_TOKEN=(openshell:resolve:env:v([0-9]+)_GITHUB_TOKEN)$/m;

  it("gives the main process and an exec the placeholder, over the spec's own value, and never the secret", async () => {
    const env = (await sb.exec(["env"])).stdout;
    const main = (await sb.exec(["sh", "-c", "tr '\\0' '\\n' < /proc/1/environ"])).stdout;
    expect(env).toMatch(placeholder);
    expect(main).toMatch(placeholder);
    expect(main).toMatch(/^OTHER=kept$/m);
    expect(env.match(placeholder)?.[1]).toBe(main.match(placeholder)?.[1]);
    for (const text of [env, main]) expect(text).not.toContain(SECRET);
    // Every process's environment and argv (read without naming the secret, which would put it in
    // the reader's own argv), and every file outside the kernel's views.
    const processes = await sb.exec([
      "sh",
      "-c",
      "cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null",
    ]);
    expect(processes.stdout).toContain("openshell:resolve:env:v");
    expect(processes.stdout).not.toContain(SECRET);
    const files = await sb.exec([
      "sh",
      "-c",
      `for d in /*; do case $d in /proc|/sys|/dev) ;; *) grep -rl ${SECRET} $d ;; esac; done 2>/dev/null; echo done`,
    ]);
    expect(files.stdout).toBe("done\n");
  });

  it("keeps the secret out of the engine's container config and the sandbox's logs", async () => {
    const config = await engineEnv(endpoint.kind === "unix" ? endpoint.socketPath : "", sb.name);
    expect(config.some((line) => placeholder.test(line))).toBe(true);
    expect(config.join("\n")).not.toContain(SECRET);
    const lines = (await sb.logs()).map((line) => line.message);
    expect(lines.some((m) => m.includes("GITHUB_TOKEN") && m.includes("placeholders"))).toBe(true);
    expect(lines.join("\n")).not.toContain(SECRET);
  });

  it("gives a new exec a new revision once the provider's credential changed; the main process keeps its own", async () => {
    const before = (await sb.exec(["env"])).stdout.match(placeholder)?.[2];
    await os.providers.update(providerName, { credentials: { GITHUB_TOKEN: SECOND } });
    const after = (await sb.exec(["env"])).stdout.match(placeholder)?.[2];
    const main = (await sb.exec(shell("tr '\\0' '\\n' < /proc/1/environ"))).stdout.match(placeholder)?.[2];
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(main).toBe(before);
    const all = (await sb.exec(["sh", "-c", "cat /proc/[0-9]*/environ"])).stdout;
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(SECOND);
  });
}
