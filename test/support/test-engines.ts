import type { EngineEndpoint } from "../../src/runtime/engine-endpoint.js";

/**
 * The engines and images scripts/engines.sh prepares (it exports these variables; the defaults
 * are where it puts them, so a plain `npx vitest` on a prepared machine works too).
 */
export const testImages = {
  /** Runs as root (no USER): for the runtime drivers' own tests, and local mode's refusal of root. */
  busybox: process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? "openshell-test/busybox:1",
  debian: process.env.OPENSHELL_TEST_DEBIAN_IMAGE ?? "openshell-test/debian:bookworm",
  /** The same busybox with USER 1000:1000 (sandbox) and WORKDIR /sandbox: what local-mode sandboxes run. */
  sandbox: process.env.OPENSHELL_TEST_SANDBOX_IMAGE ?? "openshell-test/sandbox:1",
  /** Debian with curl and CA certificates (no USER): a TLS client that checks certificates, for egress tests. */
  curl: process.env.OPENSHELL_TEST_CURL_IMAGE ?? "openshell-test/curl:1",
};

function unixEndpoint(url: string): EngineEndpoint {
  return { kind: "unix", socketPath: url.replace(/^unix:\/\//, "") };
}

export const dockerTestEndpoint = unixEndpoint(
  process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock",
);
export const podmanTestEndpoint = unixEndpoint(
  process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock",
);
