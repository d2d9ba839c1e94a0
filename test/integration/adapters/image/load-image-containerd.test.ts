import { setTimeout as sleep } from "node:timers/promises";
import { CanceledError, FailedPreconditionError, NotFoundError } from "openshell";
import { ImageLoadError, type ImageProgressEvent, loadImage } from "openshell/adapters/image";
import { type ContainerRuntime, type ContainerSpec, runExec } from "openshell/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testImages } from "../../../support/test-engines.js";
import { CONTAINERD_IMAGE, connect, execText, type Kind, TestImages } from "./load-image-support.js";

const LABELS = { "openshell.ai/test": "load-image-containerd" };

/**
 * A stand-in for a gateway's cluster container: Debian's containerd running as the container's main
 * process. It needs SYS_ADMIN to mount its snapshots (`--privileged` cannot start on this machine:
 * its capability bounding set lacks CAP_SYS_RESOURCE), and a tmpfs for its state, so the overlayfs
 * snapshotter's layers are not on the container's own overlay root.
 */
function containerdSpec(tmpfsMiB?: number): ContainerSpec {
  return {
    image: CONTAINERD_IMAGE,
    command: ["containerd"],
    capAdd: ["SYS_ADMIN"],
    mounts: [
      {
        type: "tmpfs",
        target: "/var/lib/containerd",
        ...(tmpfsMiB === undefined ? {} : { sizeMiB: tmpfsMiB }),
      },
    ],
    labels: LABELS,
  };
}

/** Starts a containerd container and waits until ctr reaches it. Resolves with the container's id. */
async function startContainerd(runtime: ContainerRuntime, tmpfsMiB?: number): Promise<string> {
  const { id } = await runtime.createContainer(containerdSpec(tmpfsMiB));
  await runtime.startContainer(id);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probe = await runExec(runtime, id, { command: ["ctr", "--connect-timeout", "2s", "version"] });
    if (probe.exitCode === 0) return id;
    if (Date.now() > deadline)
      throw new Error(`containerd did not answer in 30 s: ${probe.stdout}${probe.stderr}`);
    await sleep(200);
  }
}

/** `ctr -n k8s.io images ls -q` in the container: the names containerd holds, as its own CLI lists them. */
async function containerdImages(runtime: ContainerRuntime, container: string): Promise<string[]> {
  return (await execText(runtime, container, ["ctr", "-n", "k8s.io", "images", "ls", "-q"]))
    .split("\n")
    .filter((line) => line !== "");
}

/** The config digest (image id) of `ref` in containerd, read with ctr: its manifest's config.digest. */
async function containerdConfigDigest(
  runtime: ContainerRuntime,
  container: string,
  ref: string,
): Promise<string> {
  const table = await execText(runtime, container, ["ctr", "-n", "k8s.io", "images", "ls", `name==${ref}`]);
  const manifest = table.split("\n")[1]?.trim().split(/\s+/)[2] ?? "";
  const blob = await execText(runtime, container, ["ctr", "-n", "k8s.io", "content", "get", manifest]);
  return (JSON.parse(blob) as { config: { digest: string } }).config.digest;
}

/** The processes running in the container, as `pid command line` (read from /proc: no ps in the image). */
async function processes(runtime: ContainerRuntime, container: string): Promise<string[]> {
  const script =
    'for d in /proc/[0-9]*; do [ -r "$d/cmdline" ] && echo "$(basename "$d") $(tr "\\0" " " < "$d/cmdline")"; done';
  return (await execText(runtime, container, ["sh", "-c", script]))
    .split("\n")
    .filter((line) => line.trim() !== "");
}

describe("loadImage into containerd in a container (the cluster container's way)", () => {
  const runtimes = {} as Record<Kind, ContainerRuntime>;
  const images = new TestImages();
  let containerd: string;
  let busybox: string;

  beforeAll(async () => {
    runtimes.docker = await connect("docker");
    runtimes.podman = await connect("podman");
    containerd = await startContainerd(runtimes.docker);
    const made = await runtimes.docker.createContainer({
      image: testImages.busybox,
      command: ["sleep", "600"],
      labels: LABELS,
    });
    busybox = made.id;
    await runtimes.docker.startContainer(busybox);
  });

  afterAll(async () => {
    await images.removeAll(Object.values(runtimes));
    for (const runtime of Object.values(runtimes)) {
      for (const container of await runtime.listContainers({ labels: LABELS })) {
        await runtime.removeContainer(container.id, { force: true });
      }
      await runtime.reap();
      await runtime.close();
    }
  });

  it("imports the image, which then appears in ctr images ls with the source's config digest; again is a no-op", async () => {
    const name = images.name("into-containerd");
    const sourceId = await images.build(runtimes.docker, name, 4);
    const into = { runtime: runtimes.docker, container: containerd };
    const events: ImageProgressEvent[] = [];

    const loaded = await loadImage(runtimes.docker, {
      image: name,
      into,
      onProgress: (event) => events.push(event),
    });

    expect(loaded).toEqual({
      image: `docker.io/${name}`,
      id: sourceId,
      into: "containerd",
      alreadyPresent: false,
      bytes: expect.any(Number),
    });
    expect(loaded.bytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(await containerdImages(runtimes.docker, containerd)).toContain(`docker.io/${name}`);
    expect(await containerdConfigDigest(runtimes.docker, containerd, `docker.io/${name}`)).toBe(sourceId);
    expect(events.filter((event) => event.bytes !== undefined).at(-1)?.bytes).toBe(loaded.bytes);

    const again = await loadImage(runtimes.docker, { image: name, into });
    expect(again).toEqual({ ...loaded, alreadyPresent: true, bytes: 0 });
  });

  it("keeps a Podman image under the name Kubernetes asks for (docker.io/...), not Podman's localhost/...", async () => {
    const name = images.name("from-podman");
    const sourceId = await images.build(runtimes.podman, name, 1);

    const loaded = await loadImage(runtimes.podman, {
      image: name,
      into: { runtime: runtimes.docker, container: containerd, namespace: "k8s.io" },
    });

    expect(loaded).toMatchObject({ image: `docker.io/${name}`, id: sourceId, alreadyPresent: false });
    const names = await containerdImages(runtimes.docker, containerd);
    expect(names).toContain(`docker.io/${name}`);
    expect(names).not.toContain(`localhost/${name}`);
  });

  it("gives the name to a rebuilt image (from Podman, whose archive names it localhost/...)", async () => {
    const name = images.name("rebuilt-containerd");
    const into = { runtime: runtimes.docker, container: containerd };
    await images.build(runtimes.podman, name, 1);
    await loadImage(runtimes.podman, { image: name, into });
    const newId = await images.build(runtimes.podman, name, 1);

    const loaded = await loadImage(runtimes.podman, { image: name, into });

    expect(loaded).toMatchObject({ image: `docker.io/${name}`, id: newId, alreadyPresent: false });
    const names = await containerdImages(runtimes.docker, containerd);
    expect(names.filter((ref) => ref.includes(name))).toEqual([`docker.io/${name}`]);
    expect(await containerdConfigDigest(runtimes.docker, containerd, `docker.io/${name}`)).toBe(newId);
    const again = await loadImage(runtimes.podman, { image: name, into });
    expect(again).toMatchObject({ id: newId, alreadyPresent: true });
  });

  it("canceled midway, leaves no image in containerd and no ctr import running", async () => {
    const name = images.name("cancel-containerd");
    await images.build(runtimes.docker, name, 48);
    const controller = new AbortController();

    const failure = await loadImage(runtimes.docker, {
      image: name,
      into: { runtime: runtimes.docker, container: containerd },
      signal: controller.signal,
      onProgress: (event) => {
        if (event.bytes !== undefined) controller.abort();
      },
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CanceledError);
    expect((failure as Error).message).toMatch(/nothing of it was left there/);
    expect((await containerdImages(runtimes.docker, containerd)).filter((ref) => ref.includes(name))).toEqual(
      [],
    );
    expect(
      (await processes(runtimes.docker, containerd)).filter((line) => /ctr .*import/.test(line)),
    ).toEqual([]);
  });

  it("a container without ctr is a FailedPreconditionError that says what to do", async () => {
    const name = images.name("no-ctr");
    await images.build(runtimes.docker, name, 1);
    const failure = await loadImage(runtimes.docker, {
      image: name,
      into: { runtime: runtimes.docker, container: busybox },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FailedPreconditionError);
    expect((failure as Error).message).toMatch(/has no `ctr` on its PATH.*cluster container/s);
  });

  it("a container with neither sh nor ctr is the same FailedPreconditionError (ctr is then run without sh)", async () => {
    const noShell = images.name("no-shell");
    await runtimes.docker.buildImage({
      tag: noShell,
      dockerfileText: `FROM ${testImages.busybox}\nRUN mkdir /x && cp /bin/busybox /x/busybox && rm -rf /bin\n`,
    });
    const { id } = await runtimes.docker.createContainer({
      image: noShell,
      command: ["/x/busybox", "sleep", "600"],
      labels: LABELS,
    });
    await runtimes.docker.startContainer(id);
    const name = images.name("into-no-shell");
    await images.build(runtimes.docker, name, 1);

    const failure = await loadImage(runtimes.docker, {
      image: name,
      into: { runtime: runtimes.docker, container: id },
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(FailedPreconditionError);
    expect((failure as Error).message).toMatch(/has no `ctr` on its PATH/);
  });

  it("a container that does not exist is a NotFoundError", async () => {
    const name = images.name("no-container");
    await images.build(runtimes.docker, name, 1);
    const failure = await loadImage(runtimes.docker, {
      image: name,
      into: { runtime: runtimes.docker, container: `openshell-test-missing-${process.pid}` },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotFoundError);
    expect((failure as Error).message).toMatch(/no container openshell-test-missing-\d+ in docker/);
  });

  it("ctr that cannot reach containerd at `address` is a FailedPreconditionError naming the address", async () => {
    const name = images.name("wrong-address");
    await images.build(runtimes.docker, name, 1);
    const failure = await loadImage(runtimes.docker, {
      image: name,
      into: { runtime: runtimes.docker, container: containerd, address: "/run/nowhere.sock" },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FailedPreconditionError);
    expect((failure as Error).message).toMatch(/cannot reach containerd at \/run\/nowhere.sock/);
  });

  it.each(["docker", "podman"] as const)(
    "a failing import (containerd's disk full, in a %s container) is an ImageLoadError with ctr's last lines",
    async (kind) => {
      const small = await startContainerd(runtimes[kind], 8);
      const name = images.name(`disk-full-${kind}`);
      await images.build(runtimes.docker, name, 24);

      const failure = await loadImage(runtimes.docker, {
        image: name,
        into: { runtime: runtimes[kind], container: small },
      }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ImageLoadError);
      const error = failure as ImageLoadError;
      expect(error.message).toMatch(/ctr images import in container .* failed with exit code \d+/);
      expect(error.outputTail.join("\n")).toMatch(/no space left on device/);
      expect(error.message).toContain(error.outputTail.at(-1));
      expect((await containerdImages(runtimes[kind], small)).filter((ref) => ref.includes(name))).toEqual([]);
    },
  );
});
