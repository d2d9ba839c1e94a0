import { containerHostStrategy } from "./container-host-strategy.js";
import { dockerContextStrategy } from "./docker-context-strategy.js";
import { dockerHostStrategy } from "./docker-host-strategy.js";
import { dockerSocketStrategy } from "./docker-socket-strategy.js";
import type { EngineStrategy } from "./engine-candidate.js";
import { podmanSocketEnvStrategy } from "./podman-socket-env-strategy.js";
import { podmanSocketStrategy } from "./podman-socket-strategy.js";

/**
 * The engine rules in probe order: what the user said (variables, then the docker CLI's context)
 * before what is merely usual (default sockets). Apple `container` comes after all of these.
 */
export const ENGINE_STRATEGIES: readonly EngineStrategy[] = [
  dockerHostStrategy,
  dockerContextStrategy,
  containerHostStrategy,
  podmanSocketEnvStrategy,
  dockerSocketStrategy,
  podmanSocketStrategy,
];
