import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { chooseRuntime, parseRuntimeKind } from "../../../../src/runtime/detection/index.js";

describe("parseRuntimeKind", () => {
  it("accepts the three runtimes and auto, in any case and with stray spaces", () => {
    expect(parseRuntimeKind("docker", "runtime")).toBe("docker");
    expect(parseRuntimeKind(" Podman ", "runtime")).toBe("podman");
    expect(parseRuntimeKind("APPLE-CONTAINER", "runtime")).toBe("apple-container");
    expect(parseRuntimeKind("auto", "runtime")).toBe("auto");
  });

  it("rejects anything else, naming the field and listing the valid values", () => {
    for (const value of ["dockr", "", "apple", "containerd"]) {
      const err = (() => {
        try {
          parseRuntimeKind(value, "OPENSHELL_RUNTIME");
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("OPENSHELL_RUNTIME");
      expect((err as Error).message).toContain(JSON.stringify(value));
      expect((err as Error).message).toContain("docker, podman, apple-container");
      expect((err as Error).message).toContain('"auto"');
    }
  });
});

describe("chooseRuntime", () => {
  it("chooses nothing when neither the option nor a variable says", () => {
    expect(chooseRuntime(undefined, {})).toEqual({ kind: undefined, from: undefined });
    expect(chooseRuntime(undefined, { OPENSHELL_RUNTIME: "  " })).toEqual({
      kind: undefined,
      from: undefined,
    });
  });

  it("takes the option over OPENSHELL_RUNTIME", () => {
    expect(chooseRuntime("podman", { OPENSHELL_RUNTIME: "docker" })).toEqual({
      kind: "podman",
      from: "option runtime",
    });
  });

  it("reads OPENSHELL_RUNTIME, then its alias OPEN_SHELL_RUNTIME", () => {
    expect(chooseRuntime(undefined, { OPENSHELL_RUNTIME: "docker", OPEN_SHELL_RUNTIME: "podman" })).toEqual({
      kind: "docker",
      from: "OPENSHELL_RUNTIME",
    });
    expect(chooseRuntime(undefined, { OPEN_SHELL_RUNTIME: "podman" })).toEqual({
      kind: "podman",
      from: "OPEN_SHELL_RUNTIME",
    });
  });

  it('lets the variables decide when the option is "auto", and reads "auto" there as detect', () => {
    expect(chooseRuntime("auto", { OPENSHELL_RUNTIME: "podman" })).toEqual({
      kind: "podman",
      from: "OPENSHELL_RUNTIME",
    });
    expect(chooseRuntime("auto", {})).toEqual({ kind: undefined, from: undefined });
    expect(chooseRuntime(undefined, { OPENSHELL_RUNTIME: "auto" })).toEqual({
      kind: undefined,
      from: undefined,
    });
  });

  it("names the field that held an unknown value", () => {
    expect(() => chooseRuntime("kvm", {})).toThrow(expect.objectContaining({ field: "runtime" }));
    expect(() => chooseRuntime(undefined, { OPEN_SHELL_RUNTIME: "kvm" })).toThrow(
      expect.objectContaining({ field: "OPEN_SHELL_RUNTIME" }),
    );
  });
});
