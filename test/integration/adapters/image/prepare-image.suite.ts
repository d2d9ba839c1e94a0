import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CanceledError,
  InvalidArgumentError,
  NotFoundError,
  OpenShell,
  type OpenShellError,
} from "openshell";
import {
  ImageBuildError,
  ImageNotReadyError,
  type ImageProgressEvent,
  inspectImage,
  prepareImage,
} from "openshell/adapters/image";
import { type ContainerRuntime, createRuntime, SESSION_LABEL } from "openshell/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";

const run = promisify(execFile);
type Kind = "docker" | "podman";

/**
 * The images a preparation of `source` left, as the engine's own CLI lists them: every image the
 * engine holds labelled as prepared from it (`openshell.ai/prepared-from`). Each test prepares a
 * base of its own, so other preparations running at the same time (other test files) never count.
 */
async function preparedFrom(kind: Kind, runtime: ContainerRuntime, source: string): Promise<string[]> {
  const { id } = await runtime.inspectImage(source);
  const { stdout } = await run(kind, [
    "images",
    "--filter",
    `label=openshell.ai/prepared-from=${source}@${id}`,
    "--format",
    "{{.Repository}}:{{.Tag}}",
  ]);
  return stdout.split("\n").filter((line) => line !== "");
}

/**
 * prepareImage on a real engine: the Debian test image prepared with apt inside the build, then
 * checked by running it, then used by local mode; and the ways it must refuse or fail cleanly.
 */
export function describePrepareImage(kind: Kind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const suffix = Math.random().toString(16).slice(2, 8);
  const name = (what: string) => `openshell-test/prepare-${what}:${suffix}`;
  const made: string[] = [];
  let runtime: ContainerRuntime;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
  });

  afterAll(async () => {
    for (const image of made.reverse()) await runtime.removeImage(image, { force: true }).catch(() => {});
    await runtime.reap();
    await runtime.close();
  });

  describe("the Debian test image, prepared for real with apt", () => {
    const tag = name("debian");
    let events: ImageProgressEvent[] = [];
    let prepared: Awaited<ReturnType<typeof prepareImage>>;

    beforeAll(async () => {
      made.push(tag);
      prepared = await prepareImage(runtime, {
        image: testImages.debian,
        tag,
        onProgress: (event) => events.push(event),
      });
    }, 300_000);

    it("adds iproute2 and the sandbox user and group, and says so", async () => {
      expect(prepared.changed).toBe(true);
      expect(prepared.image).toBe(tag);
      expect(prepared.added.join("\n")).toMatch(/iproute2/);
      expect(prepared.added.join("\n")).toMatch(/user sandbox/);
      expect(prepared.inspection.ready).toBe(true);
      expect(prepared.inspection.ip?.kind).toBe("iproute2");
      expect(events.some((event) => event.phase === "build")).toBe(true);
      expect(events.some((event) => event.phase === "verify")).toBe(true);
    });

    it("passes inspectImage, keeps the image's command, and runs as sandbox (the original ran as root)", async () => {
      const report = await inspectImage(runtime, tag);
      expect(report.gaps).toEqual([]);
      expect(report.ready).toBe(true);
      expect(report.user).toBe("sandbox");
      expect(report.sandboxUser).toMatchObject({ uid: 1000, gid: 1000 });
      const info = await runtime.inspectImage(tag);
      const original = await runtime.inspectImage(testImages.debian);
      expect(info.cmd).toEqual(original.cmd);
      expect(info.entrypoint).toEqual(original.entrypoint);
      expect(info.labels["openshell.ai/prepared-from"]).toBe(`${testImages.debian}@${original.id}`);
      // A prepared image outlives this process: it must not carry the session label that would
      // let this session's reaper remove containers others start from it.
      expect(info.labels[SESSION_LABEL]).toBeUndefined();
    });

    it("adds nothing when asked to prepare the prepared image again", async () => {
      events = [];
      const again = await prepareImage(runtime, {
        image: tag,
        tag,
        onProgress: (event) => events.push(event),
      });
      expect(again).toMatchObject({ changed: false, added: [], id: prepared.id, dockerfile: undefined });
      const retagged = `${tag}-again`;
      made.push(retagged);
      const tagged = await prepareImage(runtime, { image: tag, tag: retagged });
      expect(tagged).toMatchObject({ image: retagged, changed: false, id: prepared.id });
      expect(tagged.inspection).toMatchObject({ image: retagged, ready: true });
      expect((await runtime.inspectImage(retagged)).id).toBe(prepared.id);
      expect(events.some((event) => event.phase === "build")).toBe(false);
    });

    it("runs in local mode: a sandbox from it becomes READY and runs as the sandbox user", async () => {
      const os = await OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
      try {
        const sandbox = await os.sandboxes.create({ image: tag, command: ["sleep", "600"] });
        try {
          await sandbox.ready({ timeoutMs: 60_000 });
          const who = await sandbox.exec(["sh", "-c", "id -un; id -u; ip -V"]);
          expect(who.exitCode).toBe(0);
          const [user, uid, ip] = who.stdout.trim().split("\n");
          expect({ user, uid }).toEqual({ user: "sandbox", uid: "1000" });
          expect(ip).toMatch(/iproute2/);
        } finally {
          await sandbox.delete();
        }
      } finally {
        os.close();
      }
    });
  });

  it("keeps a named non-root USER and only adds what is missing", async () => {
    const base = name("agent-user");
    made.push(base);
    await runtime.buildImage({
      tag: base,
      dockerfileText: `FROM ${testImages.debian}\nRUN useradd -u 1500 -m agent\nUSER agent\nWORKDIR /home/agent\n`,
    });
    const tag = name("agent-user-ready");
    made.push(tag);
    const prepared = await prepareImage(runtime, { image: base, tag });
    const report = await inspectImage(runtime, tag);
    expect(report.ready).toBe(true);
    expect(report.user).toBe("agent");
    expect(report.effectiveUid).toBe(1500);
    expect((await runtime.inspectImage(tag)).workdir).toBe("/home/agent");
    expect(prepared.added.join("\n")).toMatch(/user sandbox/);
  }, 300_000);

  it("refuses busybox (no package manager, a busybox ip applet) before building anything", async () => {
    const tag = name("busybox");
    const error = (await prepareImage(runtime, { image: testImages.busybox, tag }).catch(
      (e) => e,
    )) as ImageNotReadyError;
    expect(error).toBeInstanceOf(ImageNotReadyError);
    expect(error.requirements).toContain("iproute2");
    expect(error.message).toMatch(/package manager/);
    expect(await runtime.hasImage(tag)).toBe(false);
  });

  it("refuses a tag that is not an image reference, and an image that does not exist, as typed errors", async () => {
    const badTag = await prepareImage(runtime, { image: testImages.debian, tag: "Not A/Valid:Tag!" }).catch(
      (e) => e,
    );
    expect(badTag).toBeInstanceOf(InvalidArgumentError);
    expect((badTag as InvalidArgumentError).field).toBe("tag");
    const missing = await prepareImage(runtime, {
      image: `openshell-test/no-such-image:${suffix}`,
      tag: name("x"),
    }).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as OpenShellError).message).toMatch(/no-such-image/);
  });

  it("a build whose package install fails is an ImageBuildError with apt's last lines, and leaves no image", async () => {
    const base = name("broken-apt");
    made.push(base);
    // A mirror nothing listens on: apt-get update fails inside the build, as it would offline.
    await runtime.buildImage({
      tag: base,
      dockerfileText: `FROM ${testImages.debian}\nRUN echo 'deb http://127.0.0.1:9/debian bookworm main' > /etc/apt/sources.list && rm -rf /etc/apt/sources.list.d/* /var/lib/apt/lists/*\n`,
    });
    const tag = name("broken-apt-ready");
    const error = (await prepareImage(runtime, { image: base, tag }).catch((e) => e)) as ImageBuildError;
    expect(error).toBeInstanceOf(ImageBuildError);
    expect(error.outputTail.join("\n")).toMatch(/127\.0\.0\.1/);
    expect(error.message).toMatch(/Last build output/);
    expect(await runtime.hasImage(tag)).toBe(false);
    expect(await preparedFrom(kind, runtime, base)).toEqual([]);
  }, 120_000);

  it("a canceled build ends with CanceledError and leaves no image, staging image or build container", async () => {
    // A base of its own, so what a preparation of it leaves is told apart by its label.
    const base = name("cancel-base");
    made.push(base);
    await runtime.buildImage({
      tag: base,
      dockerfileText: `FROM ${testImages.debian}\nLABEL openshell.test/run=${suffix}\n`,
    });
    const tag = name("canceled");
    const controller = new AbortController();
    const error = await prepareImage(runtime, {
      image: base,
      tag,
      signal: controller.signal,
      // Cancel once the build is under way (its first output line), not before it starts.
      onProgress: (event) => {
        if (event.phase === "build") controller.abort();
      },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect(await runtime.hasImage(tag)).toBe(false);
    expect(await preparedFrom(kind, runtime, base)).toEqual([]);
    // The build's step container inherits the base's session label. prepareImage removes the ones
    // the build announced; one the engine creates just as the cancel lands, Docker removes itself a
    // moment later: within seconds, nothing is left.
    await expect
      .poll(() => runtime.listContainers({ labels: { [SESSION_LABEL]: runtime.sessionId } }), {
        timeout: 10_000,
        interval: 250,
      })
      .toEqual([]);
  }, 120_000);
}
