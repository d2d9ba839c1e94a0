import { type ContainerRuntime, NotFoundError } from "openshell/runtime";
import { describe, expect, it } from "vitest";
import { BuildContainers } from "../../../../../adapters/image/prepare/build-containers.js";

/** Build output as Docker 20.10's classic builder printed it here for a prepared image. */
const OUTPUT = [
  "Step 2/5 : RUN apt-get update && apt-get install -y iproute2",
  " ---> Running in f18f39fe2393",
  "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]",
  "Removing intermediate container f18f39fe2393",
  " ---> 33bfd0dd9fb7",
  "Step 3/5 : USER sandbox",
  " ---> Running in ee19a71b8536",
];

describe("BuildContainers", () => {
  it("removes the step containers a build started and did not say it removed, and takes gone ones as removed", async () => {
    const removed: string[] = [];
    const runtime = {
      async removeContainer(id: string, options?: { force?: boolean }) {
        expect(options?.force).toBe(true);
        removed.push(id);
        if (id === "ee19a71b8536") throw new NotFoundError(`no such container: ${id}`);
      },
    } as unknown as ContainerRuntime;
    const containers = new BuildContainers();
    for (const line of OUTPUT) containers.observe(line);
    await containers.removeLeft(runtime);
    expect(removed).toEqual(["ee19a71b8536"]);
    removed.length = 0;
    await containers.removeLeft(runtime);
    expect(removed).toEqual([]);
  });
});
