import { PROBE_SCRIPT } from "../../../../../adapters/image/inspect/probe-script.js";
import { type FakeRunner, fixture, LIST } from "../../../runtime/drivers/apple-container/fake-runner.js";
import { SESSION_LABEL_ARGS } from "../../../runtime/drivers/apple-container/helpers.js";
import { probeOutput } from "../inspect/probe-fixtures.js";

/**
 * The Apple `container` CLI as the image adapter meets it, answered from recorded outputs: the
 * fixtures in test/fixtures/apple-container (see image-adapter-fixtures.md there for where each
 * comes from) and the probe outputs in test/fixtures/images/probe.
 */

/** The Debian test image, as `container image inspect` names it and as the index digest it is known by. */
export const DEBIAN = "openshell-test/debian:bookworm";
export const DEBIAN_DIGEST = "sha256:26c11b91b322aaa9c84fb35d27fd915e79814284b576a67ca2a93e499bd41dc1";
/** The staging image's digest in image-inspect-debian-prepared-1.1.txt. */
export const PREPARED_DIGEST = "sha256:715f548748c9a6a381635914ccaf7d717488d7fec2011822405136dd5000b2a5";

/** The name the recorded fixtures give the probe container and the staging image; replaced per call. */
const FIXTURE_PROBE = "openshell-image-probe-000000000000";
const FIXTURE_STAGING = "openshell-prepare-000000000000:staging";

/** What one probe container saw: its name and the image it was created from. */
export interface ProbeRun {
  name: string;
  image: string;
}

/** The argv `container create` gets for the probe of `image`, named `name`. */
export function probeCreateArgs(name: string, image: string): string[] {
  return [
    "create",
    "--name",
    name,
    "-l",
    "openshell.ai/image-probe=true",
    "-l",
    SESSION_LABEL_ARGS[0] as string,
    "-l",
    SESSION_LABEL_ARGS[1] as string,
    "--entrypoint",
    "/bin/sh",
    "-u",
    "0",
    "-w",
    "/",
    "--network",
    "none",
    image,
    "-c",
    PROBE_SCRIPT,
    "openshell-image-probe",
  ];
}

/** The CLI calls one probe makes, from create to delete, when it runs to its end. */
export function probeCalls(run: ProbeRun): string[][] {
  return [
    probeCreateArgs(run.name, run.image),
    ["start", run.name],
    // waitContainer polls `container list` until the container stops: running once, then stopped,
    // and with no exit code in the stopped record says so; the probe then reads the output.
    LIST,
    LIST,
    ["logs", run.name],
    ["delete", "--force", run.name],
  ];
}

/** Whether `ref` is a staging name prepareImage makes. */
export const isStaging = (ref: string | undefined) =>
  /^openshell-prepare-[0-9a-f]{12}:staging$/.test(ref ?? "");

/**
 * `container image inspect REF` answered from a fixture (`edit` may change its text), REF being
 * `ref` or, for `"staging"`, any staging name, which is put in for the fixture's placeholder.
 */
export function answerImageInspect(
  runner: FakeRunner,
  ref: string,
  file: string,
  edit: (text: string) => string = (text) => text,
): void {
  runner.onRun(
    (args) =>
      args[0] === "image" &&
      args[1] === "inspect" &&
      (ref === "staging" ? isStaging(args[2]) : args[2] === ref),
    (args) => ({
      stdout: edit(fixture(file))
        .split(FIXTURE_STAGING)
        .join(args[2] as string),
    }),
  );
}

/** The argument after `flag` in `args`. */
export function flagValue(args: readonly string[], flag: string): string {
  const index = args.indexOf(flag);
  if (index === -1 || index + 1 >= args.length) throw new Error(`no ${flag} in ${args.join(" ")}`);
  return args[index + 1] as string;
}

/**
 * Answers the probe containers' CLI calls: create prints the name, start prints it, `container
 * list` shows the newest probe container running once and then stopped (with no exit code, as
 * every CLI version does), logs print `outputs[n]` (a probe output fixture name) for the n-th
 * probe, delete prints the name. Returns the probes seen, in order.
 */
export function answerProbes(runner: FakeRunner, outputs: readonly string[]): ProbeRun[] {
  const runs: ProbeRun[] = [];
  const lists = new Map<string, number>();
  runner.onRun(
    (args) => args[0] === "create",
    (args) => {
      const name = flagValue(args, "--name");
      runs.push({ name, image: args[args.indexOf(PROBE_SCRIPT) - 2] as string });
      return { stdout: `${name}\n` };
    },
  );
  runner.onRun(
    (args) => args[0] === "start",
    (args) => ({ stdout: `${args[1]}\n` }),
  );
  runner.onRun(LIST, () => {
    const run = runs.at(-1);
    if (run === undefined) return { stdout: "[]" };
    const seen = lists.get(run.name) ?? 0;
    lists.set(run.name, seen + 1);
    const state = seen === 0 ? "running" : "stopped";
    return { stdout: fixture(`list-probe-${state}-1.1.txt`).split(FIXTURE_PROBE).join(run.name) };
  });
  runner.onSpawn(
    (args) => args[0] === "logs",
    (process, args) => {
      const index = runs.findIndex((run) => run.name === args[1]);
      process.write("stdout", probeOutput(outputs[index] ?? "missing"));
      process.finish(0);
    },
  );
  runner.onRun(
    (args) => args[0] === "delete",
    (args) => ({ stdout: `${args.at(-1)}\n` }),
  );
  return runs;
}
