import { z } from "zod";
import { InvalidArgumentError } from "../errors.js";
import { validate } from "../validation/validate.js";
import { isHostProblem, parseEngineHost } from "./detection/parse-engine-host.js";
import type { EngineEndpoint } from "./engine-endpoint.js";

/**
 * An engine endpoint as callers may give it: the structured form, or a URL as DOCKER_HOST and
 * CONTAINER_HOST take it (`unix:///run/podman/podman.sock`, `tcp://host:2375`, `ssh://user@host`).
 * A URL has no TLS: use the structured form (`tls`) for a TLS engine.
 */
export type EngineEndpointInput = EngineEndpoint | string;

const nonEmpty = z.string().min(1, "must not be empty");
const port = z.number().int().min(1, "must be 1-65535").max(65535, "must be 1-65535");
const absolutePath = z.string().startsWith("/", "must be an absolute path");

const endpointSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("unix"), socketPath: absolutePath }),
  z.object({
    kind: z.literal("tcp"),
    host: nonEmpty,
    port,
    tls: z
      .object({ caFile: nonEmpty, certFile: nonEmpty, keyFile: nonEmpty, verify: z.boolean() })
      .optional(),
  }),
  z.object({
    kind: z.literal("ssh"),
    host: nonEmpty,
    port,
    username: nonEmpty.optional(),
    socketPath: absolutePath.optional(),
  }),
]);

/**
 * Checks an `endpoint` option at the public boundary, so a mistake (a bare path, a missing port, an
 * object of the wrong shape from JavaScript) is an InvalidArgumentError naming `field` instead of an
 * engine client failing on it later.
 *
 * @throws InvalidArgumentError naming `field` (or `field.<key>`).
 */
export function engineEndpointOption(input: unknown, field = "endpoint"): EngineEndpoint {
  if (typeof input === "string") {
    const parsed = parseEngineHost(input);
    if (isHostProblem(parsed))
      throw new InvalidArgumentError(`invalid ${field}: ${parsed.problem}`, { field });
    return parsed;
  }
  return validate(endpointSchema, input, field);
}
