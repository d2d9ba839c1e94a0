import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EmulatedAppleContainer,
  type EmulatedVersion,
  emulatedAppleContainer,
} from "../../support/apple-container-emulator/index.js";
import { shapeDifferences, shapeOf } from "../../support/apple-container-emulator/json-shape.js";
import { testImages } from "../../support/test-engines.js";

/*
 * What the emulator prints has the key structure of the fixtures recorded for its CLI release (see
 * docs/runtimes/apple-container.md, "Fixtures"), recursively: no key the release does not print,
 * none missing that the release always prints.
 */

const fixtureJson = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/apple-container/${name}`, import.meta.url), "utf8"));

describe("the shape comparison", () => {
  it("reports a missing key, an extra key and a changed kind, and accepts optional keys left out", () => {
    const reference = shapeOf([
      { id: "a", status: { state: "running", startedDate: "x" }, list: [{ n: 1 }] },
      { id: "b", status: { state: "stopped" }, list: [] },
    ]);
    expect(
      shapeDifferences(shapeOf([{ id: "c", status: { state: "stopped" }, list: [{ n: 2 }] }]), reference),
    ).toEqual([]);
    expect(
      shapeDifferences(
        shapeOf([{ id: 1, status: { state: "stopped", exitCode: 0 }, list: [{}] }]),
        reference,
      ),
    ).toEqual([
      "$[].id: number, the reference has string",
      "$[].status.exitCode: not in the reference",
      "$[].list[].n: missing (the reference always has it)",
    ]);
  });
});

/** Each command the driver runs, and the fixtures (one or more) of the emulated release it must match. */
const REFERENCES: Record<EmulatedVersion, Record<string, string[]>> = {
  "1.1.0": {
    "list --all --format json": ["list-1.0.json", "list-probe-running-1.1.txt", "list-probe-stopped-1.1.txt"],
    "network list --format json": ["network-list.json"],
    "network inspect emu-shape-net": ["network-inspect-hostonly-1.1.txt", "network-list.json"],
    "volume list --format json": ["volume-list.json"],
    "system status --format json": ["system-status-running.json"],
    [`image inspect ${testImages.busybox}`]: [
      "image-inspect-1.x.json",
      "image-inspect-entrypoint-1.x.json",
      "image-inspect-debian-1.1.txt",
      "image-inspect-debian-prepared-1.1.txt",
    ],
  },
  "0.12.3": {
    "list --all --format json": ["list-pre-1.0.json"],
    "network list --format json": ["network-list-0.12.json"],
    "volume list --format json": ["volume-list-pre-1.0.json"],
    "system status --format json": ["system-status-running.json"],
    [`image inspect ${testImages.busybox}`]: ["image-inspect.json"],
  },
};

for (const version of ["1.1.0", "0.12.3"] as EmulatedVersion[]) {
  describe(`the emulator's JSON for container CLI ${version}`, () => {
    let emulator: EmulatedAppleContainer;
    const cli = async (line: string) => {
      const result = await emulator.runner.run("container", line.split(" "));
      expect(result.exitCode, result.stderr).toBe(0);
      return result.stdout;
    };

    beforeAll(async () => {
      emulator = await emulatedAppleContainer({ version });
      // Every kind of record: running on an internal network with a published port, stopped after a
      // run, never started; a volume mounted; a bind mount.
      await cli("network create --internal --label a=b emu-shape-net");
      await cli("volume create --label a=b emu-shape-vol");
      // A user given with -u is printed as `user.raw`, which only 1.1.0's fixtures hold.
      const user = version === "1.1.0" ? "-u 1000:1000 " : "";
      await cli(
        `create --name emu-shape-run --network emu-shape-net -p 127.0.0.1:0:80/tcp -v emu-shape-vol:/data ${user}-l a=b ${testImages.busybox} sleep 60`,
      );
      await cli("start emu-shape-run");
      await cli(`create --name emu-shape-ran --read-only ${testImages.busybox} true`);
      await cli("start emu-shape-ran");
      await cli(`create --name emu-shape-new ${testImages.busybox} true`);
    });
    afterAll(async () => {
      await emulator?.close();
    });

    for (const [line, fixtures] of Object.entries(REFERENCES[version])) {
      it(`\`container ${line}\` has the shape of ${fixtures.join(", ")}`, async () => {
        const printed = JSON.parse(await cli(line)) as unknown;
        const reference = shapeOf(...fixtures.map(fixtureJson));
        expect(shapeDifferences(shapeOf(printed), reference)).toEqual([]);
      });
    }
  });
}
