/** Public surface of `os.services`, for the package entry point to re-export. */

export type { ServiceEndpointService } from "./service-endpoint-service.js";
export type { ServiceEndpointInfo } from "./service-info.js";
export type { ExposeServiceInput, ListServicesOptions } from "./service-options.js";
