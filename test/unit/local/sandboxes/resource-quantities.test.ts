import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { limitsFromResources, parseQuantity } from "../../../../src/local/sandboxes/resource-quantities.js";

describe("parseQuantity", () => {
  it("reads cores, millicores, binary and decimal suffixes and exponents", () => {
    expect(parseQuantity("500m", "cpu")).toBeCloseTo(0.5);
    expect(parseQuantity("2", "cpu")).toBe(2);
    expect(parseQuantity(1.5, "cpu")).toBe(1.5);
    expect(parseQuantity("512Mi", "memory")).toBe(512 * 2 ** 20);
    expect(parseQuantity("2Gi", "memory")).toBe(2 * 2 ** 30);
    expect(parseQuantity("1G", "memory")).toBe(1e9);
    expect(parseQuantity("128k", "memory")).toBe(128_000);
    expect(parseQuantity("1e3", "memory")).toBe(1000);
    expect(parseQuantity(" 0.5Gi ", "memory")).toBe(2 ** 29);
  });

  it("refuses what is not a positive quantity, naming the field", () => {
    for (const bad of ["", "abc", "5 Gi", "1Zi", "-1", "0", null, {}]) {
      const error = (() => {
        try {
          parseQuantity(bad, "template.resources.limits.memory");
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(bad)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe("template.resources.limits.memory");
    }
  });
});

describe("limitsFromResources", () => {
  it("takes limits, falls back to requests, and rounds memory up to whole MiB", () => {
    expect(limitsFromResources(undefined)).toEqual({});
    expect(limitsFromResources({ limits: { cpu: "250m", memory: "1Gi" } })).toEqual({
      cpus: 0.25,
      memoryMiB: 1024,
    });
    expect(limitsFromResources({ requests: { cpu: "1", memory: "100M" } })).toEqual({
      cpus: 1,
      memoryMiB: 96,
    });
    expect(limitsFromResources({ limits: { cpu: "2" }, requests: { cpu: "1", memory: "64Mi" } })).toEqual({
      cpus: 2,
      memoryMiB: 64,
    });
  });

  it("refuses a resources value that is not an object", () => {
    expect(() => limitsFromResources("2Gi")).toThrow(InvalidArgumentError);
  });

  it("takes limits.pids as the PID limit: a whole number above zero", () => {
    expect(limitsFromResources({ limits: { pids: 256 } })).toEqual({ pidsLimit: 256 });
    expect(limitsFromResources({ limits: { pids: "64" } })).toEqual({ pidsLimit: 64 });
    for (const pids of [0, -1, 1.5, "many", "1e3"]) {
      expect(() => limitsFromResources({ limits: { pids } }), String(pids)).toThrow(
        /^template\.resources\.limits\.pids: .* must be a whole number of processes above zero$/,
      );
    }
  });
});
