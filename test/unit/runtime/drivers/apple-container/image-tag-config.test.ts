import { describe, expect, it } from "vitest";
import { CanceledError, InvalidArgumentError, NotFoundError } from "../../../../../src/errors.js";
import { parseImages } from "../../../../../src/runtime/drivers/apple-container/resource-json.js";
import { fixture } from "./fake-runner.js";
import { fakeRuntime } from "./helpers.js";

describe("tagImage", () => {
  it("runs `container image tag REF TARGET` (which prints the target)", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "tag", "alpine:3.20", "acme/agent:1"], { stdout: fixture("image-tag.txt") });
    await expect(runtime.tagImage("alpine:3.20", "acme/agent:1")).resolves.toBeUndefined();
    expect(runner.argv).toEqual([["image", "tag", "alpine:3.20", "acme/agent:1"]]);
  });

  it("is a NotFoundError when the image to tag is missing", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "tag", "ghost:1", "acme/agent:1"], {
      exitCode: 1,
      stderr: fixture("stderr-image-tag-not-found.txt"),
    });
    const error = await runtime.tagImage("ghost:1", "acme/agent:1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain("image with reference ghost:1");
  });

  it.each([
    ["an upper-case name", "Acme/Agent:1"],
    ["a digest", `acme/agent@sha256:${"a".repeat(64)}`],
    ["an empty tag", "acme/agent:"],
    ["something the CLI would read as a flag", "--help"],
  ])("refuses %s as the target before running the CLI", async (_what, target) => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime.tagImage("alpine:3.20", target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field: "target" });
    expect(runner.calls).toEqual([]);
  });

  it("refuses a source the CLI would read as a flag, naming ref", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.tagImage("--all", "acme/agent:1")).rejects.toMatchObject({
      name: "InvalidArgumentError",
      field: "ref",
    });
    expect(runner.calls).toEqual([]);
  });

  it("cancels with the signal", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "tag", "alpine:3.20", "acme/agent:1"], "hang");
    const controller = new AbortController();
    const tagging = runtime.tagImage("alpine:3.20", "acme/agent:1", { signal: controller.signal });
    controller.abort();
    await expect(tagging).rejects.toBeInstanceOf(CanceledError);
  });
});

describe("saveImage", () => {
  it("is a CapabilityError naming image-save, and runs nothing", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.saveImage("alpine:3.20")).rejects.toMatchObject({
      name: "CapabilityError",
      missing: ["image-save"],
    });
    expect(runner.calls).toEqual([]);
  });
});

describe("image config from `image inspect`", () => {
  it("reads ENTRYPOINT, CMD and ENV from the variant for this machine", () => {
    const what = "container image inspect nginx";
    for (const arch of ["arm64", "amd64"]) {
      const [nginx] = parseImages(fixture("image-inspect-entrypoint-1.x.json"), what, arch);
      expect(nginx).toEqual({
        id: "sha256:d00dfeed4c2b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070",
        tags: ["docker.io/library/nginx:1.27"],
        os: "linux",
        architecture: arch,
        sizeBytes: arch === "arm64" ? 68157440 : 72351232,
        labels: { maintainer: "NGINX Docker Maintainers <docker-maint@nginx.com>" },
        user: "",
        workdir: "",
        entrypoint: ["/docker-entrypoint.sh"],
        cmd: ["nginx", "-g", "daemon off;"],
        env: [
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "NGINX_VERSION=1.27.5",
          "NJS_VERSION=0.8.10",
          "NJS_RELEASE=1~bookworm",
          "PKG_RELEASE=1~bookworm",
          "DYNPKG_RELEASE=1~bookworm",
        ],
        // The CLI reports the index digest (the id), not per-registry digests.
        repoDigests: [],
      });
    }
  });

  it("reports no entrypoint when the image sets none (alpine), and null entries as empty", () => {
    const [alpine] = parseImages(fixture("image-inspect.json"), "container image inspect alpine", "arm64");
    expect(alpine).toMatchObject({ entrypoint: [], cmd: ["/bin/sh"] });
    const nulls = fixture("image-inspect-entrypoint-1.x.json")
      .replace(/"Entrypoint": \[[^\]]*\]/g, '"Entrypoint": null')
      .replace(/"Cmd": \[[^\]]*\]/g, '"Cmd": null')
      .replace(/"Env": \[[^\]]*\]/g, '"Env": null');
    const [bare] = parseImages(nulls, "container image inspect nginx", "arm64");
    expect(bare).toMatchObject({ entrypoint: [], cmd: [], env: [] });
  });
});
