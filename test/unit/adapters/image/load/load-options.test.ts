import { CapabilityError, InvalidArgumentError } from "openshell";
import { type LoadImageOptions, loadImage } from "openshell/adapters/image";
import { AppleContainerRuntime, type ContainerRuntime } from "openshell/runtime";
import { describe, expect, it } from "vitest";

// A runtime that is never connected (its CLI does not exist): every check here must fail before any
// runtime is asked, or the error would be a different one. The field checks come before the
// capability checks, so it serves as source and target alike.
const apple = new AppleContainerRuntime({ command: "/nonexistent/container" });

async function refusal(source: unknown, options: unknown): Promise<unknown> {
  return loadImage(source as ContainerRuntime, options as LoadImageOptions).then(
    () => new Error("expected a refusal, but it loaded"),
    (error: unknown) => error,
  );
}

describe("loadImage's arguments, checked before any engine is asked", () => {
  it.each([
    ["an empty image", { image: "", into: apple }, "image"],
    ["an upper-case name", { image: "My/Agent:1", into: apple }, "image"],
    ["a digest reference", { image: `agent@sha256:${"a".repeat(64)}`, into: apple }, "image"],
    ["a short sha256 id", { image: "sha256:abc", into: apple }, "image"],
    ["no into", { image: "agent:1" }, "into"],
    ["an into that is neither", { image: "agent:1", into: { container: "c" } }, "into.runtime"],
    [
      "a containerd target without a container",
      { image: "agent:1", into: { runtime: apple } },
      "into.container",
    ],
    [
      "a namespace containerd would refuse",
      { image: "agent:1", into: { runtime: apple, container: "c", namespace: "k8s io" } },
      "into.namespace",
    ],
    ["a signal that is not one", { image: "agent:1", into: apple, signal: "stop" }, "signal"],
    [
      "an id into containerd",
      { image: `sha256:${"a".repeat(64)}`, into: { runtime: apple, container: "c" } },
      "image",
    ],
  ])("refuses %s, naming the field", async (_what, options, field) => {
    const error = await refusal(apple, options);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field });
  });

  it("refuses a source that is not a runtime, and options that are not an object", async () => {
    expect(await refusal({ kind: "docker" }, { image: "agent:1", into: apple })).toMatchObject({
      field: "source",
    });
    expect(await refusal(apple, null)).toMatchObject({ field: "options" });
  });

  it("refuses Apple container as the source: it cannot save images (CapabilityError naming image-save)", async () => {
    const error = await refusal(apple, { image: "agent:1", into: { runtime: apple, container: "c" } });
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["image-save"] });
  });
});
