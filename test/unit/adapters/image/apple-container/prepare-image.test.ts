import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CanceledError } from "openshell";
import {
  ImageBuildError,
  type ImageProgressEvent,
  PREPARED_ADDED_LABEL,
  PREPARED_FROM_LABEL,
  prepareImage,
} from "openshell/adapters/image";
import { describe, expect, it } from "vitest";
import { type FakeRunner, fixture } from "../../../runtime/drivers/apple-container/fake-runner.js";
import { fakeRuntime } from "../../../runtime/drivers/apple-container/helpers.js";
import {
  answerImageInspect,
  answerProbes,
  DEBIAN,
  DEBIAN_DIGEST,
  flagValue,
  isStaging,
  PREPARED_DIGEST,
  probeCalls,
} from "./apple-cli.js";

/**
 * prepareImage over the Apple `container` driver: `container build` through the driver, the
 * built image checked by running the probe in it, then tagged; answered from recorded outputs
 * (the Debian test image and its prepared form, and their probe outputs recorded on real images).
 */

const TAG = "acme/agent:1-openshell";
const ADDED = [
  "iproute2 (apt-get install iproute2)",
  "iptables (apt-get install iptables)",
  "group sandbox (gid 1000) with groupadd",
  "user sandbox (uid 1000, gid 1000, home /sandbox) with useradd",
  "USER sandbox",
];
const DOCKERFILE =
  `FROM ${DEBIAN}\n` +
  "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 iptables" +
  " && rm -rf /var/lib/apt/lists/* && /usr/sbin/groupadd --gid 1000 sandbox" +
  " && /usr/sbin/useradd --uid 1000 --gid 1000 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox" +
  " && mkdir -p /sandbox && chown 1000:1000 /sandbox\n" +
  "USER sandbox\n";

/** What one `container build` was given: its argv and the Dockerfile it read (removed afterwards). */
interface Build {
  args: string[];
  dockerfile: string;
}

/** Answers `container build` with the recorded output of the Debian build, printing the tag at the end. */
function answerBuild(runner: FakeRunner, builds: Build[]): void {
  runner.onSpawn(
    (args) => args[0] === "build",
    (process, args) => {
      builds.push({ args, dockerfile: readFileSync(flagValue(args, "-f"), "utf8") });
      process.write("stderr", fixture("build-debian-1.1-stderr.txt"));
      process.write("stdout", `${flagValue(args, "-t")}\n`);
      process.finish(0);
    },
  );
}

/** Answers `container image tag` (which prints the target) and `container image delete` (the full name). */
function answerTagAndDelete(runner: FakeRunner): void {
  runner.onRun(
    (args) => args[0] === "image" && args[1] === "tag",
    (args) => ({ stdout: `${args[3]}\n` }),
  );
  runner.onRun(
    (args) => args[0] === "image" && args[1] === "delete",
    (args) => ({ stdout: `docker.io/library/${args[2]}\n` }),
  );
}

describe("prepareImage on Apple container", () => {
  it("builds with `container build` under a staging name, runs the probe in it, tags it and drops the staging name", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    answerImageInspect(runner, "staging", "image-inspect-debian-prepared-1.1.txt");
    const probes = answerProbes(runner, ["debian", "debian-prepared"]);
    const builds: Build[] = [];
    answerBuild(runner, builds);
    answerTagAndDelete(runner);
    const progress: ImageProgressEvent[] = [];

    const prepared = await prepareImage(runtime, {
      image: DEBIAN,
      tag: TAG,
      iptables: true,
      onProgress: (event) => progress.push(event),
    });

    expect(builds).toHaveLength(1);
    const build = builds[0] as Build;
    const staging = flagValue(build.args, "-t");
    expect(isStaging(staging)).toBe(true);
    const file = flagValue(build.args, "-f");
    // One RUN step (a canceled build leaves no layer image behind), FROM the image's name: Apple's
    // builder resolves FROM through the CLI's image store, which knows images by name only.
    expect(build.dockerfile).toBe(DOCKERFILE);
    expect(build.args).toEqual([
      "build",
      "-t",
      staging,
      "-f",
      file,
      "--label",
      `${PREPARED_FROM_LABEL}=${DEBIAN}@${DEBIAN_DIGEST}`,
      "--label",
      `${PREPARED_ADDED_LABEL}=${ADDED.join("; ")}`,
      dirname(file),
    ]);
    // No session labels: the prepared image outlives this session, and containers inherit them.
    expect(build.args.filter((arg) => arg.startsWith("openshell.ai/session"))).toEqual([]);

    expect(probes.map((probe) => probe.image)).toEqual([DEBIAN, staging]);
    const [first, second] = probes as [{ name: string; image: string }, { name: string; image: string }];
    expect(runner.argv).toEqual([
      ["image", "inspect", DEBIAN],
      ...probeCalls(first),
      build.args,
      // The driver's buildImage reads the result back; the verification then inspects it itself.
      ["image", "inspect", staging],
      ["image", "inspect", staging],
      ...probeCalls(second),
      ["image", "tag", staging, TAG],
      ["image", "delete", staging],
    ]);

    expect(prepared).toMatchObject({
      image: TAG,
      id: PREPARED_DIGEST,
      source: { image: DEBIAN, id: DEBIAN_DIGEST },
      changed: true,
      added: ADDED,
      dockerfile: DOCKERFILE,
    });
    expect(prepared.inspection).toMatchObject({
      image: TAG,
      id: PREPARED_DIGEST,
      ready: true,
      ip: { path: "/usr/sbin/ip", kind: "iproute2" },
      iptables: { path: "/usr/sbin/iptables" },
      sandboxUser: { uid: 1000, gid: 1000 },
      sandboxGroup: { gid: 1000 },
      user: "sandbox",
      effectiveUid: 1000,
      gaps: [],
    });

    const phases = [...new Set(progress.map((event) => event.phase))];
    expect(phases).toEqual(["inspect", "plan", "build", "verify"]);
    const buildLines = progress.filter((event) => event.phase === "build").map((event) => event.message);
    const recorded = fixture("build-debian-1.1-stderr.txt")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    // Every line the build printed reaches the caller, in order, then the name the CLI printed last.
    expect(buildLines).toEqual([...recorded, staging]);
    expect(progress.at(-1)).toEqual({ phase: "verify", message: `${TAG} is OpenShell-ready` });
  });

  it("labels what it added even when a phrase holds '=' (PATH += ...), which `container build --label` takes", async () => {
    // The Debian image with a PATH that leaves out the sbin folders, as many images set it.
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt", (text) =>
      text.replace(
        '"Cmd" : [',
        '"Env" : [\n              "PATH=\\/usr\\/local\\/bin:\\/usr\\/bin:\\/bin"\n            ],\n            "Cmd" : [',
      ),
    );
    answerImageInspect(runner, "staging", "image-inspect-debian-prepared-1.1.txt", (text) =>
      text.replace(/"PATH=[^"]*"/, '"PATH=\\/usr\\/local\\/bin:\\/usr\\/bin:\\/bin:\\/usr\\/sbin:\\/sbin"'),
    );
    answerProbes(runner, ["debian", "debian-prepared"]);
    const builds: Build[] = [];
    answerBuild(runner, builds);
    answerTagAndDelete(runner);

    const prepared = await prepareImage(runtime, { image: DEBIAN, tag: TAG, iptables: true });

    expect(prepared.added).toContain("PATH += /usr/sbin:/sbin");
    expect(builds[0]?.dockerfile).toContain('ENV PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"\n');
    expect(builds[0]?.args).toContain(`${PREPARED_ADDED_LABEL}=${prepared.added.join("; ")}`);
    expect(prepared.inspection.ready).toBe(true);
  });

  it("an image already ready is only tagged, by name, and nothing is built", async () => {
    const { runtime, runner } = fakeRuntime();
    const ready = "acme/agent:1-prepared";
    answerImageInspect(runner, ready, "image-inspect-debian-prepared-1.1.txt", (text) =>
      text
        .split("docker.io\\/library\\/openshell-prepare-000000000000:staging")
        .join(`docker.io\\/${ready.replace("/", "\\/")}`),
    );
    const probes = answerProbes(runner, ["debian-prepared"]);
    answerTagAndDelete(runner);
    const progress: string[] = [];

    const prepared = await prepareImage(runtime, {
      image: ready,
      tag: TAG,
      onProgress: (event) => progress.push(event.message),
    });

    expect(runner.argv).toEqual([
      ["image", "inspect", ready],
      ...probeCalls(probes[0] as { name: string; image: string }),
      ["image", "tag", ready, TAG],
    ]);
    expect(prepared).toMatchObject({
      image: TAG,
      id: PREPARED_DIGEST,
      changed: false,
      added: [],
      dockerfile: undefined,
    });
    expect(prepared.inspection.ready).toBe(true);
    expect(progress).toContain(`${ready} is already OpenShell-ready: nothing to add`);
  });

  it("a failing package install is an ImageBuildError quoting the build's last lines, even when they say 'Not Found'", async () => {
    // apt-get's real output for a package file gone from the mirror (404), in BuildKit's progress.
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    answerProbes(runner, ["debian"]);
    runner.onSpawn(
      (args) => args[0] === "build",
      (process) => {
        process.write("stderr", fixture("build-apt-404-1.1-stderr.txt"));
        process.finish(1);
      },
    );
    // The staging name is removed whatever happened (an engine may have named the image although
    // the call failed); after a failed build the CLI says there is none, which is not an error.
    let deleted: string | undefined;
    runner.onRun(
      (args) => args[0] === "image" && args[1] === "delete",
      (args) => {
        deleted = args[2];
        return { stderr: `Error: notFound: "image with reference ${args[2]}"\n`, exitCode: 1 };
      },
    );

    const error = await prepareImage(runtime, { image: DEBIAN, tag: TAG, iptables: true }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ImageBuildError);
    const build = error as ImageBuildError;
    expect(build.message).toMatch(new RegExp(`^building the OpenShell-ready image from ${DEBIAN} failed: `));
    expect(build.message).toContain(
      "E: Failed to fetch http://deb.debian.org/debian/pool/main/i/iproute2/gone-iproute2_6.1.0-3_amd64.deb  404  Not Found",
    );
    expect(build.message).toContain("Check that the image's package manager can reach its repositories");
    expect(build.outputTail.at(-1)).toMatch(/^Error: failed to solve: process .* exit code: 100$/);
    expect(build.outputTail).toHaveLength(20);
    // The staging name was asked to go (there was none), and nothing is tagged.
    expect(deleted).toMatch(/^openshell-prepare-[0-9a-f]{12}:staging$/);
    expect(runner.argv.some((args) => args[0] === "image" && args[1] === "tag")).toBe(false);
  });

  it("canceled during the build: the build is killed, CanceledError, and no staging image is left", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    answerProbes(runner, ["debian"]);
    const controller = new AbortController();
    runner.onSpawn(
      (args) => args[0] === "build",
      (process) => {
        // The build prints its first steps and then runs apt-get until it is stopped.
        process.write("stderr", fixture("build-debian-1.1-stderr.txt").split("#5 ")[0] as string);
      },
    );
    let deleted: string | undefined;
    runner.onRun(
      (args) => args[0] === "image" && args[1] === "delete",
      (args) => {
        deleted = args[2];
        return {
          exitCode: 1,
          stderr: `Error: internalError: "failed to delete one or more images: [\\"${args[2]}\\"]"\n`,
        };
      },
    );

    const error = await prepareImage(runtime, {
      image: DEBIAN,
      tag: TAG,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.phase === "build" && event.message.startsWith("#4 DONE")) controller.abort();
      },
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CanceledError);
    expect((error as Error).message).toBe(`preparing ${DEBIAN} was canceled; nothing was left behind`);
    const build = runner.processes.find((process) => process.kills.length > 0);
    expect(build?.kills).toEqual(["SIGKILL"]);
    const staging = flagValue(runner.argv.find((args) => args[0] === "build") as string[], "-t");
    // The staging name is removed in case the CLI had stored it before it was killed.
    expect(deleted).toBe(staging);
    expect(runner.argv.at(-1)).toEqual(["image", "delete", staging]);
    expect(runner.argv.some((args) => args[0] === "image" && args[1] === "tag")).toBe(false);
  });
});
