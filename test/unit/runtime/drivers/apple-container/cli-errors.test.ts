import { describe, expect, it } from "vitest";
import { AlreadyExistsError, ContainerRuntimeError, NotFoundError } from "../../../../../src/errors.js";
import {
  classifyFailure,
  cliFailure,
  describeCommand,
  redactArgs,
  scrubSecrets,
} from "../../../../../src/runtime/drivers/apple-container/cli-errors.js";
import { commandName } from "../../../../../src/runtime/process/node-command-runner.js";
import { fixture } from "./fake-runner.js";

describe("redaction", () => {
  it("masks -e, --env and --build-arg values and returns them", () => {
    expect(
      redactArgs([
        "exec",
        "-e",
        "KEY=s3cr3t=x",
        "--env",
        "EMPTY=",
        "--build-arg",
        "T=tok",
        "-e",
        "NOVALUE",
        "web",
      ]),
    ).toEqual({
      shown: ["exec", "-e", "KEY=***", "--env", "EMPTY=***", "--build-arg", "T=***", "-e", "NOVALUE", "web"],
      secrets: ["s3cr3t=x", "tok"],
    });
  });

  it("quotes words with spaces and cuts long lines", () => {
    expect(describeCommand("container", ["exec", "-e", "A=b c", "web", "sh", "-c", "echo hi"])).toBe(
      'container exec -e A=*** web sh -c "echo hi"',
    );
    expect(describeCommand("container", ["create", "x".repeat(400)])).toHaveLength(301);
  });

  it("scrubs secrets of six characters or more from CLI output", () => {
    expect(scrubSecrets("bad value sk-123456 and abc", ["sk-123456", "abc"])).toBe("bad value *** and abc");
  });

  it("names commands without their arguments", () => {
    expect(commandName("container", ["image", "pull", "alpine"])).toBe("container image pull");
    expect(commandName("container", ["create", "-e", "A=secret", "alpine"])).toBe("container create");
    expect(commandName("container", ["network", "--help"])).toBe("container network");
    expect(commandName("container", [])).toBe("container");
  });
});

describe("classifyFailure and cliFailure", () => {
  it("classifies the CLI's error texts", () => {
    expect(classifyFailure(fixture("stderr-not-found.txt"))).toBe("not-found");
    expect(classifyFailure(fixture("stderr-no-such-container.txt"))).toBe("not-found");
    expect(classifyFailure(fixture("stderr-image-not-found.txt"))).toBe("not-found");
    expect(classifyFailure(fixture("stderr-already-exists.txt"))).toBe("already-exists");
    expect(classifyFailure('Error: alreadyExists: "network sbx-net already exists"')).toBe("already-exists");
    expect(classifyFailure(fixture("stderr-not-running.txt"))).toBe("system-down");
    expect(classifyFailure(fixture("stderr-unregistered.txt"))).toBe("system-down");
    expect(classifyFailure(fixture("stderr-invalid-argument.txt"))).toBe("other");
  });

  it("builds the matching error with the redacted command line and the exit code", () => {
    const args = ["start", "ghost"];
    expect(cliFailure("container", args, 1, fixture("stderr-not-found.txt"))).toBeInstanceOf(NotFoundError);
    expect(cliFailure("container", args, 1, fixture("stderr-already-exists.txt"))).toBeInstanceOf(
      AlreadyExistsError,
    );
    const other = cliFailure(
      "container",
      ["exec", "-e", "K=topsecret", "web", "x"],
      2,
      "Error: topsecret bad",
    );
    expect(other).toBeInstanceOf(ContainerRuntimeError);
    expect(other).toMatchObject({ statusCode: 2, runtime: "apple-container" });
    expect(other.message).toBe("`container exec -e K=*** web x` failed (exit 2): Error: *** bad");
    expect(cliFailure("container", args, 1, "").message).toContain("no output");
    expect(cliFailure("container", args, 1, `${"x".repeat(1000)}END`).message).toMatch(/…x+END$/);
  });
});
