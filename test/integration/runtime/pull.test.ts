import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanceledError, NotFoundError, OpenShellError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import type { ImageInfo, ProgressEvent } from "../../../src/runtime/image-types.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../support/test-engines.js";

/**
 * pullImage against a real registry: scripts/engines.sh runs Debian's docker-registry on loopback
 * (plain http) and pushes the busybox test image plus a 1 MiB layer of its own to it, so every pull
 * here really downloads a layer.
 */
const registry = process.env.OPENSHELL_TEST_REGISTRY ?? "127.0.0.1:5000";
const image = `${registry}/openshell-test/busybox:1`;
const missingTag = `${registry}/openshell-test/busybox:no-such-tag-${process.pid}`;
const missingRepo = `${registry}/openshell-test/no-such-repo-${process.pid}:1`;
const auth = { username: "u", password: "s3cret-token", serveraddress: registry };

type OpenShellErrorClass = abstract new (...args: never[]) => OpenShellError;

interface EngineCase {
  name: string;
  connect(): Promise<ContainerRuntime>;
  /** The last progress message, which only arrives once the image is stored. */
  finalEvent(pulled: ImageInfo): Partial<ProgressEvent>;
  /** Whether the engine reports bytes (`current`/`total`) while downloading. */
  byteProgress: boolean;
  /** What a tag the registry does not have gives. */
  missingImageError: OpenShellErrorClass;
}

const engines: EngineCase[] = [
  {
    name: "docker",
    connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }),
    finalEvent: () => ({ message: `Status: Downloaded newer image for ${image}` }),
    byteProgress: true,
    // Docker looks the manifest up before it starts the stream, and answers 404.
    missingImageError: NotFoundError,
  },
  {
    name: "podman",
    connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
    // Podman's compat pull ends with the image id (12 hex digits) as the last message's id.
    finalEvent: (pulled) => ({ id: pulled.id.replace(/^sha256:/, "").slice(0, 12) }),
    byteProgress: false,
    // Podman 4.3 reports the missing manifest inside a 200 progress stream, and the driver maps
    // every in-stream error to ContainerRuntimeError: any OpenShellError is accepted here, with the
    // engine's "manifest unknown" in its message.
    missingImageError: OpenShellError,
  },
];

/** Everything an error says: its text, its message and the engine's body, down its cause chain. */
function errorTexts(error: unknown): string[] {
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    texts.push(String(current));
    if (typeof current !== "object") break;
    const { message, json, reason } = current as { message?: unknown; json?: unknown; reason?: unknown };
    texts.push(String(message ?? ""), String(reason ?? ""));
    if (json !== undefined) texts.push(Buffer.isBuffer(json) ? json.toString("utf8") : JSON.stringify(json));
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

async function removeIfPresent(runtime: ContainerRuntime, ref: string): Promise<void> {
  if (await runtime.hasImage(ref)) await runtime.removeImage(ref, { force: true });
}

/**
 * Canceling stops the SDK waiting, not always the engine: Podman 4.3 carries on with a pull whose
 * client has gone, and now and then stores the image a moment after the call was canceled (its log
 * then shows "Storing signatures" and a broken pipe). Waits that moment out and removes the image.
 */
async function removeLateImage(runtime: ContainerRuntime, ref: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    if (await runtime.hasImage(ref)) {
      await runtime.removeImage(ref, { force: true });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  // A registry that is not there fails the suite rather than skipping it.
  const answer = await fetch(`http://${registry}/v2/openshell-test/busybox/manifests/1`, {
    method: "HEAD",
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  }).catch((error: unknown) => {
    throw new Error(`the test registry ${registry} does not answer (run scripts/engines.sh): ${error}`);
  });
  expect(answer.status, `${image} is not in the test registry (run scripts/engines.sh)`).toBe(200);
});

for (const engine of engines) {
  describe(`image pull from a local registry: ${engine.name}`, () => {
    let runtime: ContainerRuntime;

    beforeAll(async () => {
      runtime = await engine.connect();
      await runtime.ping();
    });

    afterAll(async () => {
      await runtime.reap();
      await removeIfPresent(runtime, image);
      await runtime.close();
    });

    it("reads the progress stream to its end: the image is there at once, and runs", async () => {
      await removeIfPresent(runtime, image);
      expect(await runtime.hasImage(image)).toBe(false);

      const progress: ProgressEvent[] = [];
      const pulled = await runtime.pullImage(image, { onProgress: (event) => progress.push(event) });
      // No wait and no retry: once pullImage resolves, the engine must already have the image.
      const inspected = await runtime.inspectImage(image);
      expect(inspected.id).toBe(pulled.id);
      expect(pulled.tags).toContain(image);

      // A layer really came over the wire, and the stream's last message was delivered.
      const fetched = progress.find((event) => event.message === "Pulling fs layer")?.id;
      expect(fetched, JSON.stringify(progress)).toBeDefined();
      expect(progress).toContainEqual(expect.objectContaining({ message: "Download complete", id: fetched }));
      if (engine.byteProgress) {
        // Counted against the layer's size: the 1 MiB of random bytes does not compress. Docker
        // throttles these messages, so how many arrive, and whether one says current === total, varies.
        const downloading = progress.filter(
          (event) => event.message === "Downloading" && event.id === fetched,
        );
        expect(downloading.length, JSON.stringify(progress)).toBeGreaterThan(0);
        for (const event of downloading) {
          expect(event.total).toBeGreaterThan(1_000_000);
          expect(event.current).toBeGreaterThan(0);
          expect(event.current).toBeLessThanOrEqual(event.total as number);
        }
      }
      expect(progress.at(-1)).toMatchObject(engine.finalEvent(pulled));

      const { id } = await runtime.createContainer({ image, command: ["sleep", "3600"] });
      await runtime.startContainer(id);
      const result = await runExec(runtime, id, { command: ["echo", "ok"] });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.toString()).toBe("ok\n");
      // The layer only the registry image has.
      const layer = await runExec(runtime, id, { command: ["wc", "-c", "/var/tmp/registry-layer"] });
      expect(layer.stdout.toString()).toMatch(/^\s*1048576 /);
      await runtime.removeContainer(id, { force: true });
    });

    it("rejects a tag the registry does not have, naming the image", async () => {
      const failed = await runtime.pullImage(missingTag).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(engine.missingImageError);
      expect((failed as Error).message).toContain(`pull image ${missingTag}: `);
      expect((failed as Error).message).toMatch(/manifest unknown/);
      expect(await runtime.hasImage(missingTag)).toBe(false);
    });

    it("never puts the auth credentials in an error or a progress event", async () => {
      const progress: ProgressEvent[] = [];
      const failed = await runtime
        .pullImage(missingRepo, { auth, onProgress: (event) => progress.push(event) })
        .catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(OpenShellError);
      expect((failed as Error).message).toContain(`pull image ${missingRepo}: `);
      // The password itself, and the X-Registry-Auth header dockerode makes from it.
      const header = Buffer.from(JSON.stringify(auth)).toString("base64url");
      const texts = [...errorTexts(failed), ...progress.map((event) => event.message)];
      expect(texts.length).toBeGreaterThan(1);
      for (const text of texts) {
        expect(text).not.toContain(auth.password);
        expect(text).not.toContain(header);
      }
    });

    it("gives CanceledError for a signal aborted before the call", async () => {
      await removeIfPresent(runtime, image);
      const failed = await runtime
        .pullImage(image, { signal: AbortSignal.abort() })
        .catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(CanceledError);
    });

    it("gives CanceledError for a signal aborted while a layer is being pulled", async () => {
      await removeIfPresent(runtime, image);
      const controller = new AbortController();
      const seen: ProgressEvent[] = [];
      const failed = await runtime
        .pullImage(image, {
          signal: controller.signal,
          onProgress: (event) => {
            seen.push(event);
            if (event.message === "Pulling fs layer") controller.abort();
          },
        })
        .catch((error: unknown) => error);
      expect(controller.signal.aborted, JSON.stringify(seen)).toBe(true);
      expect(failed).toBeInstanceOf(CanceledError);
      expect((failed as Error).message).toContain(`pull image ${image}: `);
      await removeLateImage(runtime, image);
    });
  });
}
