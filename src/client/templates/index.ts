/** Public surface of `os.templates`, for the package entry point to re-export. */

export type { TemplateInfo } from "./template-info.js";
export type { CreateTemplateInput, ListTemplatesOptions } from "./template-options.js";
export type { TemplateService } from "./template-service.js";
