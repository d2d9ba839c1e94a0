/** Public surface of `os.inference`, for the package entry point to re-export. */
export type { SetInferenceRouteInput } from "./inference-options.js";
export type { InferenceRoute, ValidatedEndpoint } from "./inference-route.js";
export type { InferenceService } from "./inference-service.js";
