import type { Readable } from "node:stream";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import type { EngineEndpoint } from "../../../src/runtime/engine-endpoint.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

const engines = [
  {
    name: "docker",
    endpoint: dockerTestEndpoint,
    connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }),
  },
  {
    name: "podman",
    endpoint: podmanTestEndpoint,
    connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
  },
];

/** The engine's own client, used only to make an archive (`docker save`) for the runtime to load. */
function bareClient(endpoint: EngineEndpoint): Docker {
  return new Docker({ socketPath: (endpoint as { socketPath: string }).socketPath });
}

for (const engine of engines) {
  describe(`image load: ${engine.name}`, () => {
    let runtime: ContainerRuntime;
    const repo = `openshell-test/loaded-${engine.name}-${process.pid}`;
    const tag = `${repo}:1`;

    beforeAll(async () => {
      runtime = await engine.connect();
    });

    afterAll(async () => {
      await runtime.reap();
      await runtime.removeImage(tag, { force: true }).catch(() => {});
    });

    it("loads a saved archive, reports the names it held, and the image runs", async () => {
      const bare = bareClient(engine.endpoint);
      await bare.getImage(testImages.busybox).tag({ repo, tag: "1" });
      const archive = (await bare.getImage(tag).get()) as unknown as Readable;
      const chunks: Buffer[] = [];
      for await (const chunk of archive) chunks.push(chunk as Buffer);
      await runtime.removeImage(tag);
      expect(await runtime.hasImage(tag)).toBe(false);

      const loaded = await runtime.loadImage({ archive: [Buffer.concat(chunks)] });
      expect(loaded.some((name) => name.endsWith(tag))).toBe(true);
      expect(await runtime.hasImage(tag)).toBe(true);

      const { id } = await runtime.createContainer({ image: tag, command: ["sleep", "60"] });
      await runtime.startContainer(id);
      expect((await runExec(runtime, id, { command: ["echo", "loaded"] })).stdout.toString()).toBe(
        "loaded\n",
      );
    });
  });
}
