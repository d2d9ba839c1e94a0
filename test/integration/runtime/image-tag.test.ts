import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanceledError, InvalidArgumentError, NotFoundError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

const engines = [
  { name: "docker", connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }) },
  { name: "podman", connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }) },
] as const;

for (const engine of engines) {
  describe(`image tag and config: ${engine.name}`, () => {
    let runtime: ContainerRuntime;
    /** Names this file gives images; untagged without force (the image under them is shared). */
    const names: string[] = [];
    const built = `openshell-test/config-${engine.name}-${process.pid}:1`;

    beforeAll(async () => {
      runtime = await engine.connect();
    });

    afterAll(async () => {
      for (const name of names) await runtime.removeImage(name).catch(() => {});
      await runtime.removeImage(built, { force: true }).catch(() => {});
      await runtime.reap();
      await runtime.close();
    });

    it("gives an image another name that inspect then shows", async () => {
      const name = `openshell-test/tagged-${engine.name}-${process.pid}:v1.2-rc_3`;
      names.push(name);
      await runtime.tagImage(testImages.busybox, name);
      const [source, tagged] = [
        await runtime.inspectImage(testImages.busybox),
        await runtime.inspectImage(name),
      ];
      expect(tagged.id).toBe(source.id);
      // On Podman a name with no registry is filed under localhost/, as Podman's own tools file it
      // (its Docker-compatible API would say docker.io/, and `podman push` would then go there).
      expect(tagged.tags).toContain(engine.name === "podman" ? `localhost/${name}` : name);
    });

    it("tags :latest when the target has none, and never reads a registry port as a tag", async () => {
      const target = `localhost:5000/openshell-test/tagged-${engine.name}-${process.pid}`;
      names.push(`${target}:latest`);
      await runtime.tagImage(testImages.busybox, target);
      expect((await runtime.inspectImage(`${target}:latest`)).tags).toContain(`${target}:latest`);
    });

    it.each([
      "Upper/Case:1",
      "openshell-test/a//b",
      "openshell-test/x:",
      `openshell-test/x@sha256:${"a".repeat(64)}`,
    ])("refuses the target %s as an InvalidArgumentError naming target", async (target) => {
      const error = await runtime.tagImage(testImages.busybox, target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ field: "target" });
    });

    it("says NotFoundError when the image to tag is missing", async () => {
      const missing = `openshell-test/never-made-${process.pid}:1`;
      const error = await runtime
        .tagImage(missing, `openshell-test/orphan-${process.pid}:1`)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toContain(`tag image ${missing}`);
    });

    it("cancels with the signal", async () => {
      const target = `openshell-test/canceled-${engine.name}-${process.pid}:1`;
      names.push(target);
      await expect(
        runtime.tagImage(testImages.busybox, target, { signal: AbortSignal.abort() }),
      ).rejects.toBeInstanceOf(CanceledError);
    });

    it("reports the config of the test images as the engine holds it", async () => {
      const debian = await runtime.inspectImage(testImages.debian);
      // Imported from a debootstrap tree with only CMD set: no ENTRYPOINT and no ENV at all.
      expect(debian).toMatchObject({ cmd: ["/bin/bash"], entrypoint: [], env: [], user: "" });
      const sandbox = await runtime.inspectImage(testImages.sandbox);
      expect(sandbox).toMatchObject({ user: "1000:1000", workdir: "/sandbox", cmd: ["/bin/sh"] });
      const busybox = await runtime.inspectImage(testImages.busybox);
      if (engine.name === "docker") {
        // Docker records digests only for images pulled from or pushed to a registry.
        expect(busybox.repoDigests).toEqual([]);
      } else {
        // Podman records a digest per name and manifest it holds, local images included (the
        // names other tests gave busybox show up here too).
        expect(busybox.repoDigests).toContainEqual(
          expect.stringMatching(/^localhost\/openshell-test\/busybox@sha256:[0-9a-f]{64}$/),
        );
        for (const digest of busybox.repoDigests) expect(digest).toMatch(/@sha256:[0-9a-f]{64}$/);
      }
    });

    it("reports ENTRYPOINT, CMD and ENV of a built image, in order", async () => {
      await runtime.buildImage({
        tag: built,
        dockerfileText: [
          `FROM ${testImages.busybox}`,
          'ENV PATH=/opt/agent/bin:/usr/bin:/bin GREETING="hello world"',
          'ENTRYPOINT ["/bin/sh", "-c"]',
          'CMD ["echo \\"$GREETING\\""]',
        ].join("\n"),
      });
      const image = await runtime.inspectImage(built);
      expect(image.entrypoint).toEqual(["/bin/sh", "-c"]);
      expect(image.cmd).toEqual(['echo "$GREETING"']);
      expect(image.env).toEqual(["PATH=/opt/agent/bin:/usr/bin:/bin", "GREETING=hello world"]);
    });
  });
}
