import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** The registry's own OpenAPI document, cut to what an adapter touches (see CONTRACT.md). */
export const OPENAPI_SUBSET_PATH = "/work/shared/agent-registry/openapi-subset.json";

const ID = "https://agentregistry.dev/openapi-subset.json";

interface OpenApiDocument {
  components: { schemas: Record<string, unknown> };
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12; the document itself is not a schema, so only its
// components are registered, under one id, for the `#/components/schemas/X` references to resolve.
const document = JSON.parse(readFileSync(OPENAPI_SUBSET_PATH, "utf8")) as OpenApiDocument;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
// OpenAPI's numeric formats: the JSON types already say integer; ajv-formats does not define these.
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
// `components` is a container, not a keyword: declared so that strict mode accepts it.
ajv.addKeyword("components");
ajv.addSchema({ $id: ID, components: document.components });

/** The registry's schema names (`Deployment`, `Agent`, ...). */
export function schemaNames(): string[] {
  return Object.keys(document.components.schemas);
}

/** Validates `value` against the registry's schema `name`; returns the validator's error texts. */
export function openApiErrors(name: string, value: unknown): string[] {
  const validate = ajv.getSchema(`${ID}#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`openapi-subset.json has no schema ${name}`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? "invalid"}`);
}
