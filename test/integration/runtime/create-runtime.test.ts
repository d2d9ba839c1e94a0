import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../support/test-engines.js";

const dockerHost = `unix://${(dockerTestEndpoint as { socketPath: string }).socketPath}`;
const podmanHost = `unix://${(podmanTestEndpoint as { socketPath: string }).socketPath}`;
/** An environment with nothing in it that could point detection elsewhere. */
const bareEnv = { PATH: process.env.PATH, HOME: "/nonexistent-home" };

describe("createRuntime", () => {
  it("returns the Docker driver for DOCKER_HOST, and the Podman driver for CONTAINER_HOST", async () => {
    const docker = await createRuntime({ env: { ...bareEnv, DOCKER_HOST: dockerHost } });
    expect(docker.kind).toBe("docker");
    expect(docker.endpoint).toBe(dockerHost);
    expect((await docker.info()).kind).toBe("docker");

    const podman = await createRuntime({ env: { ...bareEnv, CONTAINER_HOST: podmanHost } });
    expect(podman.kind).toBe("podman");
    expect((await podman.info()).kind).toBe("podman");
  });

  it("honours OPENSHELL_RUNTIME over the probe order", async () => {
    const runtime = await createRuntime({
      env: { ...bareEnv, DOCKER_HOST: dockerHost, CONTAINER_HOST: podmanHost, OPENSHELL_RUNTIME: "podman" },
    });
    expect(runtime.kind).toBe("podman");
  });

  it("takes an explicit endpoint with an explicit runtime, and refuses an endpoint alone", async () => {
    const runtime = await createRuntime({
      runtime: "docker",
      endpoint: dockerTestEndpoint,
      sessionId: "abc123",
    });
    expect(runtime.sessionId).toBe("abc123");
    expect(runtime.sessionLabels).toEqual({
      "openshell.ai/managed-by": "openshell",
      "openshell.ai/session": "abc123",
    });
    const error = await createRuntime({ endpoint: dockerTestEndpoint }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("runtime");
  });

  it("rejects an unknown OPENSHELL_RUNTIME, listing the valid ones", async () => {
    const error = await createRuntime({ env: { ...bareEnv, OPENSHELL_RUNTIME: "lxc" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/docker, podman, apple-container/);
  });
});
