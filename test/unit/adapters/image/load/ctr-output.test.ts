import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CTR_IN_SHELL,
  classifyCtrFailure,
  lastLines,
  parseImageTable,
  readManifestBlob,
  readWrapperLines,
} from "../../../../../adapters/image/load/ctr-output.js";

/** Output recorded from Debian bookworm's ctr 1.6.20 and from Docker 20.10 / Podman 4.3 execs. */
const recorded = (file: string) => readFile(new URL(`./recorded/${file}`, import.meta.url), "utf8");

describe("ctr images ls", () => {
  it("gives each name the digest it points to, CRI's sha256: names included, header skipped", async () => {
    const images = parseImageTable(await recorded("ctr-images-ls.txt"));
    expect([...images.keys()]).toEqual([
      "docker.io/openshell-test/busybox:1",
      "localhost/openshell-test/sandbox:1",
      "sha256:5a6a0d1755efac86ee27ecf4706c85dc2236a7ae5620913a1721a3bd1920632f",
      "sha256:72e3d04d10fb67b099f259b17ae35737b0ef43be15f4924d6adb23eb6ee255cf",
    ]);
    expect(images.get("docker.io/openshell-test/busybox:1")).toBe(
      "sha256:b1c04e633aa32fc66271c8f30d25f5eb53ca87d8ff9d2bad43cb0277d9c3f7a1",
    );
  });

  it("is empty for a namespace with no images (the header alone)", () => {
    expect(parseImageTable("REF TYPE DIGEST SIZE PLATFORMS LABELS \n").size).toBe(0);
  });
});

describe("ctr content get of a manifest or an index", () => {
  it("reads a Docker manifest's config digest: the image id", async () => {
    expect(readManifestBlob(await recorded("ctr-content-get-manifest.txt"))).toEqual({
      config: "sha256:5a6a0d1755efac86ee27ecf4706c85dc2236a7ae5620913a1721a3bd1920632f",
      manifests: [],
    });
  });

  it("lists an OCI index's manifests, to be read in turn (the image-index format of the OCI spec)", () => {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${"a".repeat(64)}`,
          size: 7143,
        },
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${"b".repeat(64)}`,
          size: 7682,
        },
      ],
    });
    expect(readManifestBlob(index)).toEqual({
      manifests: [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`],
    });
  });

  it("reads nothing from output that is not JSON", async () => {
    expect(readManifestBlob(await recorded("ctr-content-get-missing.txt"))).toEqual({ manifests: [] });
  });
});

describe("why a ctr command failed", () => {
  it("tells a missing ctr from Docker's exit 126 and Podman's 127 messages", async () => {
    expect(classifyCtrFailure(126, await recorded("exec-no-ctr-docker.txt"))).toBe("no-ctr");
    expect(classifyCtrFailure(127, await recorded("exec-no-ctr-podman.txt"))).toBe("no-ctr");
    expect(classifyCtrFailure(127, "ctr: not found on PATH\n")).toBe("no-ctr");
  });

  it("tells a container without sh (so ctr is run directly instead)", async () => {
    expect(classifyCtrFailure(126, await recorded("exec-no-sh-docker.txt"))).toBe("no-shell");
    expect(classifyCtrFailure(127, await recorded("exec-no-sh-podman.txt"))).toBe("no-shell");
  });

  it("tells containerd not answering at the address", async () => {
    expect(classifyCtrFailure(1, await recorded("ctr-failed-to-dial.txt"))).toBe("no-containerd");
  });

  it("calls anything else a failure, whose last lines are quoted", async () => {
    const text = await recorded("ctr-content-get-missing.txt");
    expect(classifyCtrFailure(1, text)).toBe("failed");
    expect(lastLines(`a\n\nb  \n${text}`, 2)).toEqual(["b", text.trim()]);
  });
});

describe("the shell ctr runs in (CTR_IN_SHELL), run by /bin/sh with a ctr that fails after reading a little", () => {
  it("says ctr's pid and its exit code, then reads stdin to its end before exiting with ctr's code", async () => {
    const dir = await mkdtemp(join(tmpdir(), "openshell-ctr-shell-"));
    try {
      // A ctr that reads 10 bytes of its stdin, complains, and exits 3 (a failed import).
      await writeFile(
        join(dir, "ctr"),
        '#!/bin/sh\nhead -c 10 >/dev/null\necho "ctr: failed: $*" >&2\nexit 3\n',
      );
      await chmod(join(dir, "ctr"), 0o755);
      const child = execFile("/bin/sh", ["-c", CTR_IN_SHELL, "sh", "-n", "k8s.io", "images", "import", "-"], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
      });
      let stderr = "";
      let exitLineSeen = false;
      let runningUntilStdinClosed = false;
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (exitLineSeen || readWrapperLines(stderr).exitCode === undefined) return;
        exitLineSeen = true;
        // Like loadImage: stop sending once the exit line is there. Until then the shell must
        // still be reading stdin (so the engine has no unread bytes to reset the connection over).
        setTimeout(() => {
          runningUntilStdinClosed = child.exitCode === null && child.signalCode === null;
          child.stdin?.end();
        }, 200);
      });
      child.stdin?.on("error", () => {});
      child.stdin?.write(Buffer.alloc(64 * 1024, 1));

      expect(await exited).toBe(3);
      const said = readWrapperLines(stderr);
      expect(said.pid).toBeGreaterThan(1);
      expect(said.exitCode).toBe(3);
      expect(said.output).toBe("ctr: failed: -n k8s.io images import -\n");
      expect(runningUntilStdinClosed).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says in its own words when there is no ctr, exit 127", async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        "/bin/sh",
        ["-c", CTR_IN_SHELL, "sh", "images", "ls"],
        { env: { PATH: "/nonexistent" } },
        () => {},
      );
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(127);
    expect(classifyCtrFailure(127, result.stderr)).toBe("no-ctr");
  });
});
