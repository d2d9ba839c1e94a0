import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OpenShell } from "../../../src/index.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

/**
 * An ephemeral gateway removes what it made and nothing else: the user's own directory and the
 * user's files in it outlive the gateway, a directory the gateway made for itself does not.
 */
describe.each<LocalKind>(["docker", "podman"])("an ephemeral gateway's state directory on %s", (kind) => {
  const local = {
    runtime: kind,
    runtimeOptions: { endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint },
  };
  const base = mkdtempSync(join(tmpdir(), "openshell-ephemeral-dir-"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /** Runs a gateway through what writes its files: a sandbox, egress, a listener. */
  async function useAndClose(stateDir: string): Promise<string[]> {
    const os = await OpenShell.local({ ...local, ephemeral: true, stateDir });
    const gateway = os.localGateway;
    if (gateway === undefined) throw new Error("OpenShell.local() has no localGateway");
    const listener = await gateway.listen();
    const sb = await os.sandboxes.create({
      name: uniqueName("eph"),
      image: testImages.sandbox,
      command: IDLE,
    });
    await sb.ready({ timeoutMs: 30_000 });
    const during = readdirSync(stateDir).sort();
    await listener.close();
    await os.close();
    return during;
  }

  it("keeps a directory the user made, and the user's files in it, removing only its own", async () => {
    const stateDir = join(base, `${kind}-mine`);
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, "notes.txt"), "the user's own file\n");
    mkdirSync(join(stateDir, "work"));
    writeFileSync(join(stateDir, "work", "data.json"), "{}\n");

    const during = await useAndClose(stateDir);
    // The gateway did write its own files here (so the test would see them left behind).
    expect(during).toEqual(expect.arrayContaining(["gateway-id", "notes.txt", "state.db", "tls", "work"]));

    expect(existsSync(stateDir)).toBe(true);
    expect(readdirSync(stateDir).sort()).toEqual(["notes.txt", "work"]);
    expect(readFileSync(join(stateDir, "notes.txt"), "utf8")).toBe("the user's own file\n");
    expect(readFileSync(join(stateDir, "work", "data.json"), "utf8")).toBe("{}\n");
  });

  it("removes a directory it made itself, up to the first one that was there", async () => {
    const parent = join(base, `${kind}-made`);
    const stateDir = join(parent, "nested", "state");
    await useAndClose(stateDir);
    expect(existsSync(parent)).toBe(false);
    expect(existsSync(base)).toBe(true);
  });
});
