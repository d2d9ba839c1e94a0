import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../../../src/errors.js";
import { AccountProbeError, ImageAccountProbe } from "../../../../src/local/sandboxes/image-account-probe.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../fixtures/images/ca-bundle/${name}`, import.meta.url));
const certificate = fixture("file-docker.tar")
  .subarray(512, 512 + 2772)
  .toString("utf8");

/**
 * A runtime whose probe container answers the archive API with the recorded Debian archive at the
 * Debian bundle path (or nothing, without archive-copy), and whose `cat` prints no accounts (exit 1).
 */
function engine(options: { archiveCopy: boolean }) {
  const created: string[] = [];
  const removed: string[] = [];
  const runtime = {
    kind: options.archiveCopy ? "docker" : "apple-container",
    capabilities: new Set(options.archiveCopy ? ["archive-copy", "read-only-root"] : ["read-only-root"]),
    createContainer: async () => {
      created.push(`probe-${created.length + 1}`);
      return { id: created.at(-1), name: created.at(-1) };
    },
    startContainer: async () => undefined,
    waitContainer: async () => 1,
    async *logs() {},
    removeContainer: async (id: string) => {
      removed.push(id);
    },
    async getArchive(_id: string, { path }: { path: string }) {
      if (path !== "/etc/ssl/certs/ca-certificates.crt") throw new NotFoundError(`no ${path}`);
      return Readable.from([fixture("file-docker.tar")]);
    },
  };
  const probe = new ImageAccountProbe({
    runtime: runtime as unknown as ContainerRuntime,
    network: "openshell-local",
    labels: {},
    shutdown: new AbortController().signal,
  });
  return { probe, created, removed };
}

const signal = () => new AbortController().signal;

describe("ImageAccountProbe's CA bundle", () => {
  it("reads the bundle, the policy file and the accounts from one container; accounts that fail fail alone", async () => {
    const { probe, created, removed } = engine({ archiveCopy: true });
    const image = { id: "sha256:1" };
    const error = await probe
      .facts(image, { policy: true, accounts: true, caBundle: true }, signal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountProbeError);
    expect((error as Error).message).toBe("cat /etc/passwd /etc/group exited with code 1");
    // What the same container read is kept: asking again makes no container.
    const facts = await probe.facts(image, { policy: true, caBundle: true }, signal());
    expect(facts).toEqual({
      policy: { found: false },
      caBundle: { found: true, path: "/etc/ssl/certs/ca-certificates.crt", text: certificate },
    });
    expect(created).toEqual(["probe-1"]);
    expect(removed).toEqual(["probe-1"]);
  });

  it("makes no container where the runtime cannot copy files out, and says so", async () => {
    const { probe, created } = engine({ archiveCopy: false });
    const facts = await probe.facts({ id: "sha256:2" }, { caBundle: true }, signal());
    expect(facts.caBundle).toEqual({
      found: false,
      skipped: [
        "the apple-container runtime cannot copy files out of a container (archive-copy), so local mode cannot read it",
      ],
    });
    expect(created).toEqual([]);
  });
});
