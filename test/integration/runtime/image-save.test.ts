import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanceledError, NotFoundError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { tarEntries } from "../../support/tar-entries.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

type EngineName = "docker" | "podman";

const connect: Record<EngineName, () => Promise<ContainerRuntime>> = {
  docker: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }),
  podman: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
};

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

describe("image save", () => {
  const runtimes = {} as Record<EngineName, ContainerRuntime>;
  /** Every name this file gives an image, on either engine; untagged (never forced) at the end. */
  const names = new Set<string>();

  beforeAll(async () => {
    runtimes.docker = await connect.docker();
    runtimes.podman = await connect.podman();
  });

  afterAll(async () => {
    for (const runtime of Object.values(runtimes)) {
      await runtime.reap();
      // Without force: a name on a shared image (busybox) only comes off, the image stays.
      for (const name of names) await runtime.removeImage(name).catch(() => {});
      await runtime.close();
    }
  });

  it.each([
    ["docker", "podman"],
    ["podman", "docker"],
  ] as const)(
    "%s streams a docker-save archive of a tagged image that %s loads and runs",
    async (from, to) => {
      const source = runtimes[from];
      const target = runtimes[to];
      const name = `openshell-test/saved-${from}-${process.pid}:1`;
      names.add(name);
      await source.tagImage(testImages.busybox, name);

      const archive = await source.saveImage(name);
      // Straight from one engine into the other, keeping a copy to look inside afterwards.
      const seen: Buffer[] = [];
      const loaded = await target.loadImage({
        archive: Readable.from(
          (async function* () {
            for await (const chunk of archive) {
              seen.push(Buffer.from(chunk));
              yield chunk;
            }
          })(),
        ),
      });
      for (const loadedName of loaded) names.add(loadedName);

      const entries = tarEntries(Buffer.concat(seen));
      const byName = new Map(entries.map((entry) => [entry.name, entry]));
      const manifestEntry = byName.get("manifest.json");
      expect(manifestEntry, `entries: ${[...byName.keys()].join(", ")}`).toBeDefined();
      const manifest = JSON.parse(manifestEntry?.data.toString("utf8") ?? "") as ManifestEntry[];
      expect(manifest).toHaveLength(1);
      expect(manifest[0]?.RepoTags).toEqual([expect.stringMatching(new RegExp(`(^|/)${name}$`))]);
      expect(byName.has(manifest[0]?.Config ?? "")).toBe(true);
      for (const layer of manifest[0]?.Layers ?? []) expect(byName.has(layer)).toBe(true);

      expect(loaded).toEqual([expect.stringMatching(new RegExp(`(^|/)${name}$`))]);
      // The target knows it by the name the archive holds: from Podman that is `localhost/<name>`
      // (where Podman files a name with no registry), which Docker then keeps as it is.
      const loadedName = loaded[0] as string;
      const image = await target.inspectImage(loadedName);
      expect(image.cmd).toEqual(["/bin/sh"]);
      const { id } = await target.createContainer({ image: loadedName, command: ["sleep", "60"] });
      await target.startContainer(id);
      const run = await runExec(target, id, { command: ["sh", "-c", "echo moved; ls /bin/busybox"] });
      expect(run.stdout.toString()).toBe("moved\n/bin/busybox\n");
    },
  );

  for (const engine of ["docker", "podman"] as const) {
    it(`${engine}: declares image-save`, () => {
      expect(runtimes[engine].capabilities.has("image-save")).toBe(true);
      expect(() => runtimes[engine].require(["image-save"])).not.toThrow();
    });

    it(`${engine}: a missing image is a NotFoundError before any stream`, async () => {
      const missing = `openshell-test/never-made-${process.pid}:1`;
      const error = await runtimes[engine].saveImage(missing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toContain(`save image ${missing}`);
    });

    it(`${engine}: aborting the signal mid-stream ends the stream with a CanceledError`, async () => {
      const controller = new AbortController();
      const archive = await runtimes[engine].saveImage(testImages.busybox, { signal: controller.signal });
      let read = 0;
      const error = await (async () => {
        for await (const chunk of archive) {
          read += chunk.length;
          controller.abort();
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CanceledError);
      expect((error as Error).message).toContain(`save image ${testImages.busybox}`);
      expect(read).toBeGreaterThan(0);
      // The busybox archive is about 2 MiB: the abort stopped it well before its end.
      expect(read).toBeLessThan(1024 * 1024);
      expect((archive as Readable).destroyed).toBe(true);
    });

    it(`${engine}: a signal aborted before the call is a CanceledError`, async () => {
      await expect(
        runtimes[engine].saveImage(testImages.busybox, { signal: AbortSignal.abort() }),
      ).rejects.toBeInstanceOf(CanceledError);
    });
  }
});
