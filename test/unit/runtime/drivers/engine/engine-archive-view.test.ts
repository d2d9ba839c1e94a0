import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { engineArchiveView } from "../../../../../src/runtime/drivers/engine/engine-archive.js";

/**
 * `GET /containers/{id}/json` as Docker 20.10.24 and Podman 4.3.1 answered it on this project's
 * machine (Mounts and the HostConfig fields the view reads), for a busybox container made with
 * `--read-only --tmpfs /sandbox --tmpfs /tmp -v vol:/data -v vol:/ro-data:ro`, and on Docker one
 * made with `--mount type=tmpfs,dst=/scratch --mount type=bind,...,dst=/host,readonly`.
 */
const recorded = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../fixtures/engine-archive/${name}`, import.meta.url), "utf8"),
  ) as Docker.ContainerInspectInfo;

describe("engineArchiveView", () => {
  it("on Docker with a read-only root: tmpfs paths neither read nor written, the root read only, volumes as mounted", () => {
    const view = engineArchiveView("docker", recorded("inspect-docker.json"));
    expect(
      ["/sandbox/f", "/sandbox", "/tmp/x", "/etc/passwd", "/data/f", "/ro-data/f"].map(view.reads),
    ).toEqual([false, false, false, true, true, true]);
    expect(
      ["/sandbox", "/tmp", "/etc", "/", "/data", "/data/sub", "/ro-data", "/database"].map(view.writes),
    ).toEqual([false, false, false, false, true, true, false, false]);
  });

  it("on Docker reads a tree only where no tmpfs is mounted at or below it", () => {
    const view = engineArchiveView("docker", recorded("inspect-docker.json"));
    expect(["/", "/sandbox", "/sandbox/sub", "/etc", "/data", "/ro-data", "/tm"].map(view.readsTree)).toEqual(
      [false, false, false, true, true, true, true],
    );
    expect(engineArchiveView("podman", recorded("inspect-podman.json")).readsTree("/")).toBe(true);
  });

  it("on Docker with --mount: a tmpfs mount is as invisible as HostConfig.Tmpfs, a read-only bind is not written", () => {
    const view = engineArchiveView("docker", recorded("inspect-docker-mounts.json"));
    expect([view.reads("/scratch/f"), view.writes("/scratch")]).toEqual([false, false]);
    expect([view.reads("/host/f"), view.writes("/host")]).toEqual([true, false]);
    // Its root is writable.
    expect([view.reads("/etc/hosts"), view.writes("/etc"), view.writes("/scratchpad")]).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("on Podman: everything as the container sees it (the engine copies inside its mount namespace)", () => {
    const view = engineArchiveView("podman", recorded("inspect-podman.json"));
    expect(
      ["/sandbox", "/tmp", "/etc", "/data", "/ro-data"].map((p) => [view.reads(p), view.writes(p)]),
    ).toEqual(Array(5).fill([true, true]));
  });
});
