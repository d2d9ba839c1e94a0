import { describe, expect, it } from "vitest";
import {
  brokenProposal,
  DOCKER_ONLY,
  dedupeProposals,
  EITHER_ENGINE,
  endpointProposal,
  PODMAN_ONLY,
  placeKey,
  socketProposal,
} from "../../../../src/runtime/detection/engine-candidate.js";
import { fakeContext } from "./fake-context.js";

describe("dedupeProposals", () => {
  const ctx = fakeContext({ links: { "/var/run/docker.sock": "/run/docker.sock" } });

  it("keeps the first proposal of a place, with its source", async () => {
    const proposals = [
      socketProposal(EITHER_ENGINE, "/run/docker.sock", "DOCKER_HOST"),
      socketProposal(DOCKER_ONLY, "/var/run/docker.sock", "default Docker socket"),
      socketProposal(DOCKER_ONLY, "/run/user/1000/docker.sock", "rootless Docker in XDG_RUNTIME_DIR"),
      socketProposal(DOCKER_ONLY, "/run/user/1000//docker.sock", "rootless Docker"),
      endpointProposal(EITHER_ENGINE, { kind: "tcp", host: "Engine", port: 2376 }, "DOCKER_HOST"),
      endpointProposal(PODMAN_ONLY, { kind: "tcp", host: "engine", port: 2376 }, "CONTAINER_HOST"),
      endpointProposal(PODMAN_ONLY, { kind: "tcp", host: "engine", port: 2375 }, "CONTAINER_HOST"),
    ];
    const kept = await dedupeProposals(proposals, ctx);
    expect(kept.map((p) => p.source)).toEqual([
      "DOCKER_HOST",
      "rootless Docker in XDG_RUNTIME_DIR",
      "DOCKER_HOST",
      "CONTAINER_HOST",
    ]);
  });

  it("keeps every broken proposal: each is its own failed probe", async () => {
    const broken = brokenProposal(EITHER_ENGINE, "x", "DOCKER_HOST", "bad");
    expect(await dedupeProposals([broken, broken], ctx)).toHaveLength(2);
  });

  it("keys ssh endpoints by user, host, port and remote socket", async () => {
    const a = await placeKey({ kind: "ssh", host: "H", port: 22, username: "me", socketPath: "/s" }, ctx);
    const b = await placeKey({ kind: "ssh", host: "h", port: 22, username: "me", socketPath: "/s" }, ctx);
    const c = await placeKey({ kind: "ssh", host: "h", port: 22, socketPath: "/s" }, ctx);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
