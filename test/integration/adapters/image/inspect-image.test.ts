import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CanceledError, InvalidArgumentError, NotFoundError, TimeoutError } from "openshell";
import { type ContainerEvent, type ContainerRuntime, createRuntime } from "openshell/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectImage } from "../../../../adapters/image/inspect/inspect-image.js";
import {
  PROBE_CONTAINER_LABEL,
  probeImage,
  probeSpec,
} from "../../../../adapters/image/inspect/run-probe.js";
import type { ImageProgressEvent } from "../../../../adapters/image/progress.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";

const run = promisify(execFile);
const engines = [
  { kind: "docker", endpoint: dockerTestEndpoint },
  { kind: "podman", endpoint: podmanTestEndpoint },
] as const;

/** Every image id the engine holds, as its own CLI lists them. */
async function imageIds(kind: string): Promise<Set<string>> {
  const { stdout } = await run(kind, ["images", "-qa", "--no-trunc"]);
  return new Set(stdout.split("\n").filter((line) => line !== ""));
}

/** The image's layer digests, as its own CLI reports them. */
async function layers(kind: string, id: string): Promise<string[]> {
  const { stdout } = await run(kind, ["image", "inspect", "--format", "{{json .RootFS.Layers}}", id]);
  return JSON.parse(stdout) as string[];
}

for (const engine of engines) {
  describe(`inspectImage on ${engine.kind}`, () => {
    let runtime: ContainerRuntime;
    let context: string;
    const suffix = `${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    /** FROM scratch with one file: an image with no /bin/sh. */
    const noShell = `openshell-test/inspect-noshell:${suffix}`;
    /** Busybox with one layer of its own (a file no other image has), to find anything made from it. */
    const marked = `openshell-test/inspect-marked:${suffix}`;

    /** The session's containers: the probe's carry the session labels, so none may be left. */
    const leftContainers = async () => runtime.listContainers({ labels: runtime.sessionLabels });

    beforeAll(async () => {
      runtime = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
      context = await mkdtemp(join(tmpdir(), "openshell-inspect-ctx-"));
      await writeFile(join(context, "marker.txt"), `inspect test ${suffix}\n`);
      await runtime.buildImage({
        tag: noShell,
        context,
        dockerfileText: "FROM scratch\nCOPY marker.txt /marker.txt\n",
      });
      await runtime.buildImage({
        tag: marked,
        context,
        dockerfileText: `FROM ${testImages.busybox}\nCOPY marker.txt /marker.txt\n`,
      });
    });

    afterAll(async () => {
      await runtime.reap();
      for (const image of [noShell, marked])
        await runtime.removeImage(image, { force: true }).catch(() => {});
      await rm(context, { recursive: true, force: true });
      await runtime.close();
    });

    it("busybox: its ip is the busybox applet, which is not enough; no package manager", async () => {
      const report = await inspectImage(runtime, testImages.busybox);
      expect(report.ready).toBe(false);
      expect(report.packageManager).toBeUndefined();
      expect(report.distro).toBeUndefined();
      expect(report.ip).toEqual({ path: "/bin/ip", kind: "busybox" });
      expect(report.nsenter).toEqual({ path: "/bin/nsenter", busybox: true });
      const ipGap = report.gaps.find((gap) => gap.requirement === "iproute2");
      expect(ipGap?.message).toMatch(/busybox's applet, which cannot build the sandbox's network namespace/);
      expect(ipGap?.message).toMatch(/no package manager/);
      // This test image's /etc/passwd and /etc/group do have sandbox (1000:1000).
      expect(report.sandboxUser).toEqual({ uid: 1000, gid: 1000 });
      expect(report.gaps.map((gap) => gap.requirement)).toEqual(["iproute2"]);
      expect(report.user).toBe("");
      expect(report.effectiveUid).toBe(0);
      expect(report.notes.join("\n")).toMatch(/No \/bin\/bash/);
      expect(report.notes.join("\n")).toMatch(/neither iptables nor nft/);
      expect(await leftContainers()).toEqual([]);
    });

    it("debian: apt and util-linux's nsenter, but no ip and no sandbox user or group", async () => {
      const events: ImageProgressEvent[] = [];
      const report = await inspectImage(runtime, testImages.debian, { onProgress: (e) => events.push(e) });
      expect(report.distro).toEqual({ id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)" });
      expect(report.packageManager).toBe("apt");
      expect(report.nsenter).toEqual({ path: "/usr/bin/nsenter", busybox: false });
      expect(report.bash).toEqual({ path: "/bin/bash" });
      expect(report.ip).toBeUndefined();
      expect(report.sandboxUser).toBeUndefined();
      expect(report.gaps.map((gap) => gap.requirement)).toEqual([
        "iproute2",
        "sandbox-user",
        "sandbox-group",
      ]);
      expect(report.gaps[0]?.message).toMatch(/has no `ip`.*install the iproute2 package with apt-get/);
      expect(report.id).toBe((await runtime.inspectImage(testImages.debian)).id);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((event) => event.phase === "inspect")).toBe(true);
      expect(events.at(-1)?.message).toMatch(/lacks iproute2, sandbox-user, sandbox-group/);
    });

    it("the sandbox image: USER 1000:1000 runs as uid 1000", async () => {
      const report = await inspectImage(runtime, testImages.sandbox);
      expect(report.user).toBe("1000:1000");
      expect(report.effectiveUid).toBe(1000);
      expect(report.notes.join("\n")).not.toMatch(/runs as root/);
    });

    it("an image by id (sha256:... and a short id) is inspected like its name", async () => {
      const { id } = await runtime.inspectImage(testImages.sandbox);
      const byId = await inspectImage(runtime, id);
      expect(byId.id).toBe(id);
      expect(byId.effectiveUid).toBe(1000);
      const short = id.replace(/^sha256:/, "").slice(0, 12);
      expect((await inspectImage(runtime, short)).id).toBe(id);
    });

    it("the probe's container runs as root with no network, and the engine accepts it as such", async () => {
      const { id } = await runtime.inspectImage(testImages.busybox);
      const created = await runtime.createContainer(probeSpec(runtime, id));
      try {
        await runtime.startContainer(created.id);
        expect(await runtime.waitContainer(created.id)).toBe(0);
        const info = await runtime.inspectContainer(created.id);
        expect(info.labels[PROBE_CONTAINER_LABEL]).toBe("true");
        expect(info.labels).toMatchObject(runtime.sessionLabels);
        // No address on any network: Docker lists its `none` network (no address), Podman lists none.
        expect(info.addresses.filter((address) => address.network !== "none" || address.ipv4 !== "")).toEqual(
          [],
        );
        const { stdout } = await run(engine.kind, ["inspect", "--format", "{{.Config.User}}", created.id]);
        expect(stdout.trim()).toBe("0");
      } finally {
        await runtime.removeContainer(created.id, { force: true });
      }
    });

    it("an image without /bin/sh: a shell gap in a typed result, not a crash", async () => {
      const report = await inspectImage(runtime, noShell);
      expect(report.ready).toBe(false);
      expect(report.gaps.map((gap) => gap.requirement)).toEqual(["shell"]);
      expect(report.gaps[0]?.message).toMatch(/has no \/bin\/sh/);
      expect(report.ip).toBeUndefined();
      expect(report.sandboxUser).toBeUndefined();
      expect(await leftContainers()).toEqual([]);
    });

    it("an image that is not present: NotFoundError saying to build, pull or load it", async () => {
      const missing = `openshell-test/not-present-${suffix}:1`;
      const error = await inspectImage(runtime, missing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe(
        `image ${missing} is not present in ${engine.kind}; build, pull or load it first`,
      );
      expect(await runtime.hasImage(missing)).toBe(false);
    });

    it("bad input names its field", async () => {
      const cases: [() => Promise<unknown>, string][] = [
        [() => inspectImage({} as ContainerRuntime, testImages.busybox), "runtime"],
        [() => inspectImage(runtime, "Not/A Valid:ref"), "image"],
        [() => inspectImage(runtime, ""), "image"],
        [() => inspectImage(runtime, 42 as unknown as string), "image"],
        [
          () => inspectImage(runtime, testImages.busybox, { signal: "stop" as unknown as AbortSignal }),
          "signal",
        ],
        [
          () => inspectImage(runtime, testImages.busybox, { onProgress: 1 as unknown as () => void }),
          "onProgress",
        ],
      ];
      for (const [call, field] of cases) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field).toBe(field);
      }
      expect(await leftContainers()).toEqual([]);
    });

    describe("cancelled", () => {
      const cancelAt = async (when: (event: ImageProgressEvent) => boolean) => {
        const controller = new AbortController();
        const error = await inspectImage(runtime, testImages.debian, {
          signal: controller.signal,
          onProgress: (event) => {
            if (when(event)) controller.abort();
          },
        }).catch((e: unknown) => e);
        return error;
      };

      it("before it starts: CanceledError, nothing created", async () => {
        const error = await inspectImage(runtime, testImages.debian, { signal: AbortSignal.abort() }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CanceledError);
        expect(await leftContainers()).toEqual([]);
      });

      it("as the probe's container is being made: CanceledError, no container left", async () => {
        const error = await cancelAt((event) => /running the probe/.test(event.message));
        expect(error).toBeInstanceOf(CanceledError);
        expect(await leftContainers()).toEqual([]);
      });

      it("while the probe runs: CanceledError, its container removed", async () => {
        const error = await cancelAt((event) => /running in container/.test(event.message));
        expect(error).toBeInstanceOf(CanceledError);
        expect((error as Error).message).toMatch(/inspect image .*canceled/);
        expect(await leftContainers()).toEqual([]);
      });
    });

    it("a probe past its time limit is a TimeoutError naming it, and its container is removed", async () => {
      const error = await probeImage(runtime, testImages.busybox, { timeoutMs: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toMatch(/did not finish within 1 ms/);
      expect(await leftContainers()).toEqual([]);
    });

    it("does not change the image: same id, tags and config, nothing made from it, nothing left", async () => {
      const before = await runtime.inspectImage(marked);
      const imagesBefore = await imageIds(engine.kind);
      const events: ContainerEvent[] = [];
      const watching = new AbortController();
      const watch = (async () => {
        for await (const event of runtime.watchContainers({
          labels: runtime.sessionLabels,
          signal: watching.signal,
        }))
          events.push(event);
      })().catch(() => {});

      const report = await inspectImage(runtime, marked);
      expect(report.id).toBe(before.id);

      await new Promise((resolve) => setTimeout(resolve, 500));
      watching.abort();
      await watch;
      expect(await runtime.inspectImage(marked)).toEqual(before);
      // Anything made from the probe's container would hold the marked image's own top layer.
      const markedLayer = (await layers(engine.kind, before.id)).at(-1) as string;
      const made: string[] = [];
      for (const id of await imageIds(engine.kind)) {
        if (imagesBefore.has(id)) continue;
        const imageLayers = await layers(engine.kind, id).catch(() => [] as string[]);
        if (imageLayers.includes(markedLayer)) made.push(id);
      }
      expect(made).toEqual([]);
      expect(events.some((event) => /commit/i.test(event.action))).toBe(false);
      expect(events.some((event) => event.action === "create")).toBe(true);
      expect(await leftContainers()).toEqual([]);
    });
  });
}
