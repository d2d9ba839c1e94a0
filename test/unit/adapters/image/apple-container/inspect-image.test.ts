import { CanceledError, ContainerRuntimeError, NotFoundError } from "openshell";
import { type ImageProgressEvent, inspectImage } from "openshell/adapters/image";
import { describe, expect, it } from "vitest";
import { fixture, LIST } from "../../../runtime/drivers/apple-container/fake-runner.js";
import { fakeRuntime } from "../../../runtime/drivers/apple-container/helpers.js";
import { probeOutput } from "../inspect/probe-fixtures.js";
import {
  answerImageInspect,
  answerProbes,
  DEBIAN,
  DEBIAN_DIGEST,
  flagValue,
  probeCalls,
  probeCreateArgs,
} from "./apple-cli.js";

/**
 * inspectImage over the Apple `container` driver, whose CLI is answered from recorded outputs: the
 * Debian test image as `container image inspect` prints it (CLI 1.1), the probe container's list
 * records, and the probe output recorded from the real Debian image.
 */
describe("inspectImage on Apple container", () => {
  it("inspects the image, runs the probe as root without network by the image's name, and deletes it", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    const probes = answerProbes(runner, ["debian"]);
    const progress: ImageProgressEvent[] = [];

    const report = await inspectImage(runtime, DEBIAN, { onProgress: (event) => progress.push(event) });

    expect(probes).toHaveLength(1);
    const probe = probes[0] as { name: string; image: string };
    expect(probe.name).toMatch(/^openshell-image-probe-[0-9a-f-]{12}$/);
    // By name: the CLI finds images by reference only, and would read the digest as a name to pull.
    expect(runner.argv).toEqual([
      ["image", "inspect", DEBIAN],
      ...probeCalls({ name: probe.name, image: DEBIAN }),
    ]);
    expect(report).toMatchObject({
      image: DEBIAN,
      id: DEBIAN_DIGEST,
      ready: false,
      distro: { id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)" },
      packageManager: "apt",
      ip: undefined,
      nsenter: { path: "/usr/bin/nsenter", busybox: false },
      iptables: undefined,
      bash: { path: "/bin/bash" },
      sandboxUser: undefined,
      sandboxGroup: undefined,
      user: "",
      effectiveUid: 0,
    });
    expect(report.gaps.map((gap) => gap.requirement)).toEqual(["iproute2", "sandbox-user", "sandbox-group"]);
    expect(report.gaps[0]?.message).toBe(
      `${DEBIAN} has no \`ip\` (the supervisor runs it to build the sandbox's network namespace): ` +
        "install the iproute2 package with apt-get; prepareImage() adds it.",
    );
    expect(progress.map((event) => event.message)).toEqual([
      `inspecting ${DEBIAN} in apple-container`,
      `${DEBIAN} is ${DEBIAN_DIGEST}; running the probe in a throwaway container`,
      `probe of ${DEBIAN} running in container ${probe.name}`,
      `probe of ${DEBIAN} finished`,
      `${DEBIAN} lacks iproute2, sandbox-user, sandbox-group`,
    ]);
    expect(progress.every((event) => event.phase === "inspect")).toBe(true);
  });

  it("asks for no capability Apple container lacks: the probe's spec passes the driver's checks", async () => {
    // The driver refuses, before running anything, a spec needing what Apple lacks (tmpfs,
    // no-new-privileges, pids-limit...). `--network none` is the CLI's own (container 0.6.0 and later).
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    answerProbes(runner, ["debian"]);
    await inspectImage(runtime, DEBIAN);
    const create = runner.argv.find((args) => args[0] === "create") as string[];
    expect(flagValue(create, "--network")).toBe("none");
    expect(flagValue(create, "-u")).toBe("0");
  });

  it("is a NotFoundError saying to build, pull or load a missing image, and creates nothing", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "inspect", "openshell-test/ghost:1"], {
      exitCode: 1,
      stderr: fixture("stderr-image-inspect-not-found.txt"),
    });
    const error = await inspectImage(runtime, "openshell-test/ghost:1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(
      /^image openshell-test\/ghost:1 is not present in apple-container; build, pull or load it first/,
    );
    expect(runner.argv).toEqual([["image", "inspect", "openshell-test/ghost:1"]]);
  });

  it("canceled while the probe runs: CanceledError, and the probe container is deleted", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    const controller = new AbortController();
    let name = "";
    runner.onRun(
      (args) => args[0] === "create",
      (args) => {
        name = flagValue(args, "--name");
        return { stdout: `${name}\n` };
      },
    );
    runner.onRun(
      (args) => args[0] === "start",
      () => ({ stdout: `${name}\n` }),
    );
    // The probe never finishes: the caller gives up while `container list` still shows it running.
    runner.onRun(LIST, () => {
      controller.abort(new Error("user pressed Ctrl-C"));
      return {
        stdout: fixture("list-probe-running-1.1.txt").split("openshell-image-probe-000000000000").join(name),
      };
    });
    runner.onRun(
      (args) => args[0] === "delete",
      () => ({ stdout: `${name}\n` }),
    );

    const error = await inspectImage(runtime, DEBIAN, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect((error as Error).message).toBe(`inspect image ${DEBIAN}: canceled by the caller's signal`);
    expect(runner.argv).toEqual([
      ["image", "inspect", DEBIAN],
      probeCreateArgs(name, DEBIAN),
      ["start", name],
      LIST,
      ["delete", "--force", name],
    ]);
  });

  it("a probe whose output was cut short is an error quoting why, and its container is deleted", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    // No exit code to go by on Apple: the output's own end record is what says the probe finished.
    // (The first rule that matches answers, so this one goes before answerProbes' own.)
    const whole = probeOutput("debian");
    runner.onSpawn(
      (args) => args[0] === "logs",
      (process) => {
        process.write("stdout", whole.slice(0, whole.indexOf("\ntool\t")));
        process.finish(0);
      },
    );
    const probes = answerProbes(runner, ["debian"]);
    const error = await inspectImage(runtime, DEBIAN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as Error).message).toContain(
      `inspect image ${DEBIAN}: the probe run in the image failed: it was cut short (no end record)`,
    );
    expect(runner.argv.at(-1)).toEqual(["delete", "--force", probes[0]?.name]);
  });

  it("an image without /bin/sh is an answer (the shell gap), not an error; the container is deleted", async () => {
    const { runtime, runner } = fakeRuntime();
    answerImageInspect(runner, DEBIAN, "image-inspect-debian-1.1.txt");
    let name = "";
    runner.onRun(
      (args) => args[0] === "create",
      (args) => {
        name = flagValue(args, "--name");
        return { stdout: `${name}\n` };
      },
    );
    runner.onRun((args) => args[0] === "start", {
      exitCode: 1,
      stderr: fixture("stderr-start-no-shell.txt"),
    });
    // The start failed, so the driver checks whether the container runs anyway: it is stopped.
    runner.onRun(LIST, () => ({
      stdout: fixture("list-probe-stopped-1.1.txt").split("openshell-image-probe-000000000000").join(name),
    }));
    runner.onRun(
      (args) => args[0] === "delete",
      () => ({ stdout: `${name}\n` }),
    );

    const report = await inspectImage(runtime, DEBIAN);
    expect(report.ready).toBe(false);
    expect(report.gaps.map((gap) => gap.requirement)).toContain("shell");
    expect(runner.argv).toEqual([
      ["image", "inspect", DEBIAN],
      probeCreateArgs(name, DEBIAN),
      ["start", name],
      LIST,
      ["delete", "--force", name],
    ]);
  });
});
