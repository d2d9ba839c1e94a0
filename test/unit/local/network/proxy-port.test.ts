import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readProxyPort, writeProxyPort } from "../../../../src/local/network/proxy-port.js";

const stateDir = () => mkdtempSync(join(tmpdir(), "openshell-proxy-port-"));

describe("proxy port file", () => {
  it("reads back the port written, from a file only its owner can read", () => {
    const dir = stateDir();
    expect(readProxyPort(dir)).toBeUndefined();
    writeProxyPort(dir, 43128);
    expect(readProxyPort(dir)).toBe(43128);
    expect(statSync(join(dir, "egress-port")).mode & 0o777).toBe(0o600);
  });

  it("takes a file that holds no port for none", () => {
    const dir = stateDir();
    for (const text of ["garbage\n", "", "0\n", "70000\n", "80.5\n", "-1\n"]) {
      writeFileSync(join(dir, "egress-port"), text);
      expect(readProxyPort(dir), JSON.stringify(text)).toBeUndefined();
    }
  });

  it("fails on a state directory it cannot read the file from", () => {
    const dir = stateDir();
    writeFileSync(join(dir, "not-a-dir"), "");
    expect(() => readProxyPort(join(dir, "not-a-dir"))).toThrow(/ENOTDIR/);
  });
});
