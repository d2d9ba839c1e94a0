import { describe, expect, it } from "vitest";
import { BuildStepContainers } from "../../../../../src/runtime/drivers/engine/build-step-containers.js";

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

describe("BuildStepContainers", () => {
  it("removes the step containers a build started and did not say it removed, once", async () => {
    const removed: string[] = [];
    const steps = new BuildStepContainers();
    // Progress may carry several lines in one message; the output is given both ways here.
    steps.observe(OUTPUT.slice(0, 4).join("\n"));
    for (const line of OUTPUT.slice(4)) steps.observe(line);
    await steps.removeLeft(async (id) => {
      removed.push(id);
    });
    expect(removed).toEqual(["ee19a71b8536"]);
    removed.length = 0;
    await steps.removeLeft(async (id) => {
      removed.push(id);
    });
    expect(removed).toEqual([]);
  });
});
