import { describe, expect, it } from "vitest";
import {
  containerdName,
  formatBytes,
  normaliseImageId,
  refersToId,
} from "../../../../../adapters/image/load/image-names.js";

// Ids as the engines on this machine report the same image: Docker's and Podman's compatible API
// with `sha256:`, Podman's own API and CLI as bare hex.
const DOCKER_ID = "sha256:0357ce6c6edff385708a7e848e06c96935969baf7776086eaf86cb87a90f13da";
const PODMAN_LIBPOD_ID = "0357ce6c6edff385708a7e848e06c96935969baf7776086eaf86cb87a90f13da";

describe("image ids", () => {
  it("are sha256:<hex> whichever form the engine gave", () => {
    expect(normaliseImageId(PODMAN_LIBPOD_ID)).toBe(DOCKER_ID);
    expect(normaliseImageId(DOCKER_ID)).toBe(DOCKER_ID);
    expect(normaliseImageId(DOCKER_ID.toUpperCase().replace("SHA256", "sha256"))).toBe(DOCKER_ID);
  });

  it("are recognised in a reference given as the full id or a hex prefix of 12 or more", () => {
    expect(refersToId(DOCKER_ID, PODMAN_LIBPOD_ID)).toBe(true);
    expect(refersToId("0357ce6c6edf", DOCKER_ID)).toBe(true);
    expect(refersToId("0357ce6c6ed", DOCKER_ID)).toBe(false);
    expect(refersToId("openshell-test/curl:1", DOCKER_ID)).toBe(false);
    expect(refersToId("ffffffffffff", DOCKER_ID)).toBe(false);
  });
});

describe("the name containerd keeps an image under (what Kubernetes asks for)", () => {
  it.each([
    ["openshell-test/agent:1", "docker.io/openshell-test/agent:1"],
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["docker.io/busybox:1", "docker.io/library/busybox:1"],
    ["localhost/openshell-test/agent:1", "localhost/openshell-test/agent:1"],
    ["registry.example:5000/team/agent", "registry.example:5000/team/agent:latest"],
  ])("%s -> %s", (ref, name) => {
    expect(containerdName(ref)).toBe(name);
  });
});

describe("byte counts in messages", () => {
  it.each([
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [500 * 1024 * 1024, "500.0 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ])("%d bytes is %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
