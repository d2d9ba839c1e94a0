import { CanceledError, CapabilityError, InvalidArgumentError, NotFoundError } from "openshell";
import { type ImageProgressEvent, loadImage } from "openshell/adapters/image";
import { AppleContainerRuntime, type ContainerRuntime } from "openshell/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testImages } from "../../../support/test-engines.js";
import { connect, type Kind, payloadDigest, TestImages } from "./load-image-support.js";

const testImagesBusybox = testImages.busybox;

/**
 * loadImage between the two real engines on this machine: Docker 20.10 and Podman 4.3. Each test
 * builds its own image (busybox plus a layer of random bytes), so the target never has it already.
 */
describe("loadImage from one engine into another", () => {
  const runtimes = {} as Record<Kind, ContainerRuntime>;
  const images = new TestImages();

  beforeAll(async () => {
    runtimes.docker = await connect("docker");
    runtimes.podman = await connect("podman");
  });

  afterAll(async () => {
    await images.removeAll(Object.values(runtimes));
    for (const runtime of Object.values(runtimes)) {
      await runtime.reap();
      await runtime.close();
    }
  });

  it.each([
    ["docker", "podman"],
    ["podman", "docker"],
  ] as const)("moves an image from %s into %s with the same id, content and name", async (from, to) => {
    const source = runtimes[from];
    const target = runtimes[to];
    const name = images.name(`${from}-to-${to}`);
    const sourceId = await images.build(source, name, 4);

    const loaded = await loadImage(source, { image: name, into: target });

    expect(loaded).toEqual({
      image: name,
      id: sourceId,
      into: to,
      alreadyPresent: false,
      bytes: expect.any(Number),
    });
    expect(loaded.bytes).toBeGreaterThan(4 * 1024 * 1024);
    // The target's own inspect, by the name asked for: the same config digest as the source's.
    const there = await target.inspectImage(name);
    expect(there.id.replace(/^(sha256:)?/, "sha256:")).toBe(sourceId);
    expect(await payloadDigest(target, name)).toBe(await payloadDigest(source, name));
    // Podman's archive names the image localhost/...; Docker must not keep that second name.
    if (to === "docker")
      await expect(target.inspectImage(`localhost/${name}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("reports bytes moved as they grow, up to the whole archive, with the source's size as the total", async () => {
    const name = images.name("progress");
    await images.build(runtimes.docker, name, 16);
    const sizeBytes = (await runtimes.docker.inspectImage(name)).sizeBytes;
    const events: ImageProgressEvent[] = [];

    const loaded = await loadImage(runtimes.docker, {
      image: name,
      into: runtimes.podman,
      onProgress: (event) => events.push(event),
    });

    const counts = events.filter((event) => event.bytes !== undefined);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    const bytes = counts.map((event) => event.bytes as number);
    for (let i = 1; i < bytes.length; i++) expect(bytes[i]).toBeGreaterThan(bytes[i - 1] as number);
    expect(bytes.at(-1)).toBe(loaded.bytes);
    expect(counts.every((event) => event.phase === "load" && event.totalBytes === sizeBytes)).toBe(true);
    expect(counts.at(-1)?.message).toMatch(/MiB of ~.* MiB moved from docker into podman/);
    expect(events.at(-1)?.message).toMatch(/verified/);
  });

  it("is a no-op that says so when the target already has the image with the same id", async () => {
    const name = images.name("twice");
    const sourceId = await images.build(runtimes.podman, name, 1);
    await loadImage(runtimes.podman, { image: name, into: runtimes.docker });
    const events: ImageProgressEvent[] = [];

    const again = await loadImage(runtimes.podman, {
      image: name,
      into: runtimes.docker,
      onProgress: (event) => events.push(event),
    });

    expect(again).toEqual({ image: name, id: sourceId, into: "docker", alreadyPresent: true, bytes: 0 });
    expect(events.some((event) => event.bytes !== undefined)).toBe(false);
    expect(events.map((event) => event.message).join("\n")).toMatch(/already in docker with the same id/);
  });

  it("names the image in the target when the target has it under another name only, moving nothing", async () => {
    const first = images.name("first-name");
    const sourceId = await images.build(runtimes.docker, first, 1);
    await loadImage(runtimes.docker, { image: first, into: runtimes.podman });
    const second = images.name("second-name");
    await runtimes.docker.tagImage(first, second);

    const loaded = await loadImage(runtimes.docker, { image: second, into: runtimes.podman });

    expect(loaded).toMatchObject({ image: second, alreadyPresent: true, bytes: 0 });
    expect((await runtimes.podman.inspectImage(second)).id).toBe(sourceId);
  });

  it("replaces what the name meant in the target when the image was rebuilt (Podman's localhost/ name into Docker)", async () => {
    const name = images.name("rebuilt");
    const oldId = await images.build(runtimes.podman, name, 1);
    await loadImage(runtimes.podman, { image: name, into: runtimes.docker });
    const newId = await images.build(runtimes.podman, name, 1);
    expect(newId).not.toBe(oldId);

    const loaded = await loadImage(runtimes.podman, { image: name, into: runtimes.docker });

    expect(loaded).toMatchObject({ image: name, id: newId, alreadyPresent: false });
    expect((await runtimes.docker.inspectImage(name)).id).toBe(newId);
    await expect(runtimes.docker.inspectImage(`localhost/${name}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("moves an image asked for by id, which the target then has by that id", async () => {
    const name = images.name("by-id");
    const sourceId = await images.build(runtimes.docker, name, 1);

    const loaded = await loadImage(runtimes.docker, { image: sourceId, into: runtimes.podman });

    expect(loaded).toMatchObject({ image: sourceId, id: sourceId, into: "podman", alreadyPresent: false });
    expect((await runtimes.podman.inspectImage(sourceId)).id).toBe(sourceId);
  });

  it.each([
    ["docker", "podman"],
    ["podman", "docker"],
  ] as const)("canceled midway from %s into %s, leaves no image in the target", async (from, to) => {
    const source = runtimes[from];
    const target = runtimes[to];
    const name = images.name(`cancel-${from}-to-${to}`);
    const sourceId = await images.build(source, name, 48);
    const controller = new AbortController();
    const moved: number[] = [];

    const failure = await loadImage(source, {
      image: name,
      into: target,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.bytes === undefined) return;
        moved.push(event.bytes);
        controller.abort();
      },
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CanceledError);
    expect((failure as Error).message).toMatch(
      /canceled by the caller's signal; nothing of it was left there/,
    );
    expect(moved[0]).toBeLessThan(48 * 1024 * 1024);
    for (const ref of [name, `localhost/${name}`, sourceId]) {
      await expect(target.inspectImage(ref)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it("says the source has no such image (NotFoundError), naming the source", async () => {
    const missing = images.name("missing");
    const failure = await loadImage(runtimes.docker, { image: missing, into: runtimes.podman }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NotFoundError);
    expect((failure as Error).message).toMatch(/no image .* in docker \(the source of the load\)/);
  });

  it("refuses a reference that is not valid before asking any engine", async () => {
    const failure = await loadImage(runtimes.docker, { image: "Not/Valid:1", into: runtimes.podman }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InvalidArgumentError);
    expect(failure).toMatchObject({ field: "image" });
  });

  it("refuses Apple container as the target before moving anything: it cannot load images", async () => {
    const apple = new AppleContainerRuntime({ command: "/nonexistent/container" });
    const failure = await loadImage(runtimes.docker, { image: testImagesBusybox, into: apple }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CapabilityError);
    expect(failure).toMatchObject({ runtime: "apple-container", missing: ["image-load"] });
  });
});
