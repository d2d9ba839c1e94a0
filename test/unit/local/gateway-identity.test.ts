import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayIdOf, newGatewayId, readGatewayId } from "../../../src/local/gateway-identity.js";

describe("gatewayIdOf", () => {
  it("makes an id once per state directory and returns it again after", () => {
    const dir = mkdtempSync(join(tmpdir(), "openshell-id-"));
    const id = gatewayIdOf(dir);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(gatewayIdOf(dir)).toBe(id);
    expect(statSync(join(dir, "gateway-id")).mode & 0o777).toBe(0o600);
    expect(gatewayIdOf(mkdtempSync(join(tmpdir(), "openshell-id-")))).not.toBe(id);
  });

  it("refuses a damaged id file and says what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "openshell-id-"));
    writeFileSync(join(dir, "gateway-id"), "not an id\n");
    expect(() => gatewayIdOf(dir)).toThrow(/remove it to make a new one/);
    expect(readFileSync(join(dir, "gateway-id"), "utf8")).toBe("not an id\n");
  });

  it("reads an id without writing anything, and keeps the first of two proposals", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "openshell-id-")), "state");
    expect(readGatewayId(dir)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    const dirMade = mkdtempSync(join(tmpdir(), "openshell-id-"));
    const first = newGatewayId();
    expect(gatewayIdOf(dirMade, first)).toBe(first);
    expect(gatewayIdOf(dirMade, newGatewayId())).toBe(first);
    expect(readGatewayId(dirMade)).toBe(first);
  });
});
