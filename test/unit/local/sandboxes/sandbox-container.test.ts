import { describe, expect, it } from "vitest";
import {
  sandboxContainerLabels,
  sandboxContainerName,
  sandboxOfLabels,
} from "../../../../src/local/sandboxes/sandbox-container.js";
import { containerNameSchema } from "../../../../src/runtime/validation/runtime-schemas.js";

const sandbox = { id: "0b5f3c1e-8a4e-4a8c-9d2b-2f1f5f0b7c11", name: "web-1", workspace: "default" };

describe("sandbox containers", () => {
  it("names the container openshell-{workspace}--{name}-{id}, a valid engine name", () => {
    const name = sandboxContainerName(sandbox);
    expect(name).toBe("openshell-default--web-1-0b5f3c1e-8a4e-4a8c-9d2b-2f1f5f0b7c11");
    expect(containerNameSchema.safeParse(name).success).toBe(true);
  });

  it("keeps names within 63 characters (Apple container's limit): the id's first 12 hex digits, and what fits", () => {
    const long = { id: sandbox.id, name: "apple-egress-e40cb0", workspace: "default" };
    expect(sandboxContainerName(long)).toBe("openshell-default--apple-egress-e40cb0-0b5f3c1e8a4e");
    const longest = { id: sandbox.id, name: "n".repeat(19), workspace: "w".repeat(63) };
    const name = sandboxContainerName(longest);
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^openshell-w+-0b5f3c1e8a4e$/);
    expect(containerNameSchema.safeParse(name).success).toBe(true);
    // A cut that would end in a separator drops it, so the name still reads as words and an id.
    expect(
      sandboxContainerName({ id: sandbox.id, name: "ab", workspace: `${"w".repeat(36)}-x` }),
    ).not.toMatch(/--0b5f/);
  });

  it("labels it with the gateway's openshell.ai labels and reads them back", () => {
    const labels = sandboxContainerLabels(sandbox);
    expect(labels).toEqual({
      "openshell.ai/managed-by": "openshell",
      "openshell.ai/sandbox-id": sandbox.id,
      "openshell.ai/sandbox-name": "web-1",
      "openshell.ai/sandbox-workspace": "default",
    });
    expect(sandboxOfLabels({ ...labels, "openshell.ai/session": "s1", other: "x" })).toEqual(sandbox);
  });

  it("does not mistake another container for a sandbox", () => {
    expect(sandboxOfLabels({})).toBeUndefined();
    expect(
      sandboxOfLabels({ "openshell.ai/managed-by": "openshell", "openshell.ai/session": "s1" }),
    ).toBeUndefined();
    const { "openshell.ai/managed-by": _, ...unmanaged } = sandboxContainerLabels(sandbox);
    expect(sandboxOfLabels(unmanaged)).toBeUndefined();
  });
});
