import { describe, expect, it } from "vitest";
import { parseCliArgs, USAGE, UsageError } from "../../../../../adapters/image/cli/cli-args.js";

/** The UsageError `argv` raises (the message main prints before the usage, exit status 2). */
function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`openshell-image ${argv.join(" ")} was accepted`);
}

describe("openshell-image command lines that are understood", () => {
  it("asks for help with no command, help, --help or -h, even beside a mistake", () => {
    for (const argv of [
      [],
      ["help"],
      ["--help"],
      ["-h"],
      ["inspect", "--help"],
      ["prepare", "--bogus", "-h"],
    ]) {
      expect(parseCliArgs(argv), argv.join(" ")).toEqual({ command: "help" });
    }
    expect(parseCliArgs(["--version"])).toEqual({ command: "version" });
    expect(parseCliArgs(["version"])).toEqual({ command: "version" });
  });

  it("inspect: IMAGE, --runtime and --json", () => {
    expect(parseCliArgs(["inspect", "my-agent:1"])).toEqual({
      command: "inspect",
      image: "my-agent:1",
      runtime: undefined,
      json: false,
    });
    expect(parseCliArgs(["inspect", "--json", "my-agent:1", "--runtime", "podman"])).toEqual({
      command: "inspect",
      image: "my-agent:1",
      runtime: "podman",
      json: true,
    });
  });

  it("prepare: every flag, long, short and with =", () => {
    expect(
      parseCliArgs([
        "prepare",
        "my-agent:1",
        "--tag",
        "my-agent:1-openshell",
        "--iptables",
        "--uid",
        "1001",
        "--gid=1002",
        "--runtime=docker",
        "--json",
        "-q",
      ]),
    ).toEqual({
      command: "prepare",
      image: "my-agent:1",
      tag: "my-agent:1-openshell",
      runtime: "docker",
      iptables: true,
      uid: 1001,
      gid: 1002,
      json: true,
      quiet: true,
    });
    expect(parseCliArgs(["prepare", "my-agent:1", "-t", "my-agent:ready"])).toEqual({
      command: "prepare",
      image: "my-agent:1",
      tag: "my-agent:ready",
      runtime: undefined,
      iptables: false,
      uid: undefined,
      gid: undefined,
      json: false,
      quiet: false,
    });
    // The largest id prepareImage accepts.
    expect(parseCliArgs(["prepare", "a:1", "-t", "b:1", "--uid", "2147483646"])).toMatchObject({
      uid: 2147483646,
    });
  });

  it("load: --from and --into another engine, or --from and --container with its own options", () => {
    expect(parseCliArgs(["load", "my-agent:1", "--from", "docker", "--into", "podman", "--json"])).toEqual({
      command: "load",
      image: "my-agent:1",
      runtime: undefined,
      from: "docker",
      into: "podman",
      container: undefined,
      namespace: undefined,
      address: undefined,
      json: true,
      quiet: false,
    });
    expect(
      parseCliArgs([
        "load",
        "my-agent:1",
        "--from",
        "podman",
        "--container",
        "openshell-cluster-dev",
        "--runtime",
        "docker",
        "--namespace",
        "k8s.io",
        "--address",
        "/run/k3s/containerd/containerd.sock",
        "--quiet",
      ]),
    ).toEqual({
      command: "load",
      image: "my-agent:1",
      runtime: "docker",
      from: "podman",
      into: undefined,
      container: "openshell-cluster-dev",
      namespace: "k8s.io",
      address: "/run/k3s/containerd/containerd.sock",
      json: false,
      quiet: true,
    });
  });

  it("an IMAGE after -- is the image, not a flag", () => {
    expect(parseCliArgs(["inspect", "--json", "--", "my-agent:1"])).toMatchObject({ image: "my-agent:1" });
  });
});

describe("openshell-image usage errors say what to fix", () => {
  it("names the commands for an unknown one", () => {
    expect(usageError(["inspcet", "a:1"])).toBe(
      'unknown command "inspcet": use inspect, prepare or load (openshell-image --help says how)',
    );
  });

  it("refuses each flag another command owns, and lists the ones this command takes", () => {
    const foreign: Record<string, string[]> = {
      inspect: ["--tag", "--quiet", "--iptables", "--uid", "--gid", "--from", "--into", "--container"],
      prepare: ["--from", "--into", "--container", "--namespace", "--address"],
      load: ["--tag", "--iptables", "--uid", "--gid"],
    };
    const takes: Record<string, string> = {
      inspect: "--runtime R, --json",
      prepare: "--tag NAME:TAG, --iptables, --uid N, --gid N, --runtime R, --json, --quiet",
      load: "--from R, --into R, --container NAME, --runtime R, --namespace NS, --address SOCKET, --json, --quiet",
    };
    for (const [command, flags] of Object.entries(foreign)) {
      for (const flag of flags) {
        expect(usageError([command, "a:1", flag, "x"])).toBe(
          `${command} does not take ${flag}; it takes ${takes[command]}`,
        );
      }
    }
    expect(usageError(["inspect", "a:1", "--bogus"])).toBe(
      "inspect does not take --bogus; it takes --runtime R, --json",
    );
    expect(usageError(["inspect", "a:1", "-q"])).toBe(
      "inspect does not take -q; it takes --runtime R, --json",
    );
  });

  it("every flag a command takes is in the usage text", () => {
    const synopsis = (command: string) =>
      USAGE.split("\n").find((line) => line.includes(`image ${command} `));
    expect(synopsis("inspect")).toMatch(/--runtime R.*--json/);
    for (const flag of ["--tag", "--iptables", "--uid", "--gid", "--runtime", "--json", "--quiet"]) {
      expect(synopsis("prepare")).toContain(flag);
    }
    for (const flag of [
      "--from",
      "--into",
      "--container",
      "--runtime",
      "--namespace",
      "--address",
      "--quiet",
    ]) {
      expect(synopsis("load")).toContain(flag);
    }
    expect(USAGE).toContain("R is a runtime: docker, podman, apple-container");
    expect(USAGE).toContain("2 usage error, 3 inspect: not ready, 130 canceled");
  });

  it("IMAGE: one, not none or several", () => {
    expect(usageError(["inspect"])).toBe(
      "inspect needs an IMAGE (name:tag or image id): openshell-image inspect IMAGE [--runtime R] [--json]",
    );
    expect(usageError(["prepare", "--tag", "b:1"])).toMatch(
      /^prepare needs an IMAGE \(name:tag or image id\): openshell-image prepare IMAGE --tag NAME:TAG/,
    );
    expect(usageError(["inspect", "a:1", "b:1"])).toBe(
      'inspect takes one IMAGE, got 2 ("a:1", "b:1"): inspect one image at a time',
    );
    expect(usageError(["prepare", "a:1", "a:1-openshell"])).toBe(
      'prepare takes one IMAGE, got 2 ("a:1", "a:1-openshell"): the name to build goes in --tag NAME:TAG',
    );
    expect(usageError(["load", "a:1", "podman", "--from", "docker"])).toBe(
      'load takes one IMAGE, got 2 ("a:1", "podman"): load one image at a time; where to goes in --into or --container',
    );
  });

  it("flag values: missing, empty, swallowed by the next flag, given to a switch, given twice", () => {
    expect(usageError(["prepare", "a:1", "--tag"])).toBe("--tag needs a value, as in --tag NAME:TAG");
    expect(usageError(["prepare", "a:1", "--tag="])).toBe("--tag needs a value, as in --tag NAME:TAG");
    expect(usageError(["prepare", "a:1", "-t"])).toBe("-t needs a value, as in --tag NAME:TAG");
    expect(usageError(["prepare", "a:1", "--tag", "--json"])).toBe(
      '--tag needs a value, as in --tag NAME:TAG, but is followed by "--json"; write --tag=--json if that is the value',
    );
    expect(usageError(["inspect", "a:1", "--json=yes"])).toBe(
      "--json takes no value: write --json alone, not --json=yes",
    );
    expect(usageError(["prepare", "a:1", "--tag", "b:1", "--tag", "c:1"])).toBe(
      "--tag is given twice: give it once",
    );
  });

  it("runtimes: only the ones the SDK drives", () => {
    expect(usageError(["inspect", "a:1", "--runtime", "dockr"])).toBe(
      '--runtime "dockr" is not a runtime: use docker, podman, apple-container',
    );
    expect(usageError(["load", "a:1", "--from", "Docker", "--into", "podman"])).toBe(
      '--from "Docker" is not a runtime: use docker, podman, apple-container',
    );
    expect(usageError(["load", "a:1", "--from", "docker", "--into", "containerd"])).toBe(
      '--into "containerd" is not a runtime: use docker, podman, apple-container',
    );
  });

  it("prepare: --tag is required, --uid and --gid are ids prepareImage accepts", () => {
    expect(usageError(["prepare", "a:1"])).toBe(
      "prepare needs --tag NAME:TAG, the name the prepared image gets (such as my-agent:1-openshell)",
    );
    const range = "takes a whole number from 1 to 2147483646";
    const leave = "; leave it out to use the first free id from 1000";
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--uid", "abc"])).toBe(
      `--uid ${range}, not "abc"${leave}`,
    );
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--gid", "0"])).toBe(
      `--gid ${range}, not "0" (0 is root's, which OpenShell refuses)${leave}`,
    );
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--uid", "2147483647"])).toBe(
      `--uid ${range}, not "2147483647"${leave}`,
    );
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--uid=-1"])).toBe(`--uid ${range}, not "-1"${leave}`);
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--uid", "-1"])).toBe(
      '--uid needs a value, as in --uid N, but is followed by "-1"; write --uid=-1 if that is the value',
    );
    expect(usageError(["prepare", "a:1", "-t", "b:1", "--uid", "1.5"])).toBe(
      `--uid ${range}, not "1.5"${leave}`,
    );
  });

  it("load: --from is required; exactly one of --into and --container; the containerd options only with --container", () => {
    expect(usageError(["load", "a:1", "--into", "podman"])).toBe(
      "load needs --from R, the runtime that holds IMAGE (docker, podman, apple-container)",
    );
    expect(usageError(["load", "a:1", "--from", "docker"])).toBe(
      "load needs where to: --into R (another engine) or --container NAME (a gateway's cluster container)",
    );
    expect(usageError(["load", "a:1", "--from", "docker", "--into", "podman", "--container", "c"])).toBe(
      "load takes --into R or --container NAME, not both: --into loads into another engine, " +
        "--container into the containerd inside that container",
    );
    expect(usageError(["load", "a:1", "--from", "docker", "--into", "podman", "--namespace", "k8s.io"])).toBe(
      "--namespace goes with --container NAME, not --into R: leave it out, or load into a container's containerd",
    );
    expect(
      usageError([
        "load",
        "a:1",
        "--from",
        "docker",
        "--into",
        "podman",
        "--address",
        "/run/containerd.sock",
        "--runtime",
        "docker",
      ]),
    ).toBe(
      "--runtime and --address go with --container NAME, not --into R: leave them out, or load into a container's containerd",
    );
    expect(usageError(["load", "a:1", "--from", "docker", "--into", "docker"])).toBe(
      "load --from docker --into docker would move nothing: name another engine in --into",
    );
  });
});
