import { containerHostStrategy } from "./container-host-strategy.js";
import { dockerContextStrategy } from "./docker-context-strategy.js";
import { dockerHostStrategy } from "./docker-host-strategy.js";
import { dockerSocketStrategy } from "./docker-socket-strategy.js";
import type { EngineStrategy } from "./engine-candidate.js";
import { podmanSocketEnvStrategy } from "./podman-socket-env-strategy.js";
import { podmanSocketStrategy } from "./podman-socket-strategy.js";

/**
 * The rules for what the user said: variables and the docker CLI's context. A place one of them names
 * is the engine to use, as docker's and podman's own tools treat it: when it does not answer,
 * detection fails rather than use another engine.
 */
export const SETTING_STRATEGIES: readonly EngineStrategy[] = [
  dockerHostStrategy,
  dockerContextStrategy,
  containerHostStrategy,
  podmanSocketEnvStrategy,
];

/** The rules for where engines usually listen, probed only when no setting names an engine. */
export const DEFAULT_SOCKET_STRATEGIES: readonly EngineStrategy[] = [
  dockerSocketStrategy,
  podmanSocketStrategy,
];
