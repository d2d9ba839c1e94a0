import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerRuntimeError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import type { ProgressEvent } from "../../../src/runtime/image-types.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

const engines = [
  { name: "docker", connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }) },
  { name: "podman", connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }) },
];

for (const engine of engines) {
  describe(`image build: ${engine.name}`, () => {
    let runtime: ContainerRuntime;
    let context: string;
    const tag = `openshell-test/built-${engine.name}-${process.pid}:1`;

    beforeAll(async () => {
      runtime = await engine.connect();
      context = await mkdtemp(join(tmpdir(), "openshell-build-ctx-"));
    });

    afterAll(async () => {
      await runtime.reap();
      await runtime.removeImage(tag, { force: true }).catch(() => {});
      await rm(context, { recursive: true, force: true });
    });

    it("builds a Dockerfile that runs apt-get on the Debian image, with progress events and build args", async () => {
      await writeFile(join(context, "greeting.txt"), "hello from the context\n");
      await writeFile(join(context, ".dockerignore"), "secret.txt\n");
      await writeFile(join(context, "secret.txt"), "must not be sent\n");
      const progress: ProgressEvent[] = [];
      const image = await runtime.buildImage({
        tag,
        context,
        dockerfileText: [
          `FROM ${testImages.debian}`,
          "ARG FLAVOUR",
          "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends iproute2 >/dev/null && rm -rf /var/lib/apt/lists/*",
          "COPY greeting.txt /greeting.txt",
          'RUN echo "$FLAVOUR" > /flavour && test ! -e /secret.txt',
          'CMD ["sleep", "3600"]',
        ].join("\n"),
        buildArgs: { FLAVOUR: "vanilla" },
        onProgress: (event) => progress.push(event),
      });
      expect(image.tags).toEqual(
        expect.arrayContaining([expect.stringContaining(`built-${engine.name}-${process.pid}:1`)]),
      );
      expect(image.labels).toMatchObject(runtime.sessionLabels);
      expect(progress.some((event) => /apt-get update/.test(event.message))).toBe(true);

      const { id } = await runtime.createContainer({ image: tag });
      await runtime.startContainer(id);
      const check = await runExec(runtime, id, {
        command: ["sh", "-c", "ip -V && cat /greeting.txt /flavour && ls /secret.txt 2>&1 || true"],
      });
      expect(check.stdout.toString()).toMatch(/ip utility/);
      expect(check.stdout.toString()).toContain("hello from the context\nvanilla\n");
      expect(check.stdout.toString()).toMatch(/No such file/);
    });

    it("fails a broken build with the engine's error and the failing step", async () => {
      const failed = await runtime
        .buildImage({ tag: `${tag}-broken`, dockerfileText: `FROM ${testImages.busybox}\nRUN exit 3\n` })
        .catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ContainerRuntimeError);
      expect((failed as Error).message).toMatch(
        /build image .*: .*(exit|returned a non-zero code|status) ?:? ?3/i,
      );
    });

    it("labels an image with the session unless told not to (an image meant to outlive the session)", async () => {
      const kept = `${tag}-kept`;
      try {
        const image = await runtime.buildImage({
          tag: kept,
          dockerfileText: `FROM ${testImages.busybox}\nRUN true\n`,
          labels: { team: "agents" },
          sessionLabels: false,
        });
        expect(image.labels).toMatchObject({ team: "agents" });
        for (const key of Object.keys(runtime.sessionLabels)) expect(image.labels[key]).toBeUndefined();
        // A container another tool starts from it inherits the image's labels: none of the session's.
        const { id } = await runtime.createContainer({ image: kept, command: ["true"] });
        const container = await runtime.inspectContainer(id);
        expect(container.labels).toMatchObject(runtime.sessionLabels);
        await runtime.removeContainer(id, { force: true });
      } finally {
        await runtime.removeImage(kept, { force: true }).catch(() => {});
      }
    });
  });
}
