import { readFileSync } from "node:fs";
import { OPENAPI_SUBSET_PATH, openApiErrors } from "../../unit/adapters/agent-registry/openapi-validator.js";

// Checks that keep the registry test double honest against the registry's own OpenAPI document:
// what it answers (bodies) and what it accepts (query parameters, by name and type).

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: { type?: string };
}

interface Document {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
}

const document = JSON.parse(readFileSync(OPENAPI_SUBSET_PATH, "utf8")) as Document;

// The logs route is registered by the registry outside its OpenAPI document (see
// internal/registry/api/handlers/v0/deploymentlogs at agentregistry 84f7a5e9): its query, from the
// route's Go input type. `follow=true` is refused there with 400.
const LOGS_ROUTE = "/v0/deployments/{name}/logs";
const LOGS_QUERY: Parameter[] = [
  { in: "query", name: "namespace", schema: { type: "string" } },
  { in: "query", name: "follow", schema: { type: "boolean" } },
  { in: "query", name: "tailLines", schema: { type: "integer" } },
];

const templates = [...Object.keys(document.paths), LOGS_ROUTE]
  .map((template) => ({
    template,
    // A literal segment beats a parameter (`/agents/{name}/tags` before `/agents/{name}/{tag}`).
    literals: template.split("/").filter((part) => part !== "" && !part.startsWith("{")).length,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }))
  .sort((a, b) => b.literals - a.literals);

/** The subset's path template a raw request path matches (`/v0/agents/{name}/{tag}`), if any. */
export function routeOf(pathname: string): string | undefined {
  return templates.find((entry) => entry.pattern.test(pathname))?.template;
}

/**
 * What is wrong with a request's query for the registry's operation `method` on `pathname`: names
 * the subset does not declare, repeated names, and values that are not of the declared type.
 */
export function queryViolations(method: string, pathname: string, query: URLSearchParams): string[] {
  const route = routeOf(pathname);
  if (route === undefined) return [`${pathname} is not a path of openapi-subset.json`];
  const declared =
    route === LOGS_ROUTE ? LOGS_QUERY : (document.paths[route]?.[method.toLowerCase()]?.parameters ?? []);
  const byName = new Map(declared.filter((p) => p.in === "query").map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    const parameter = byName.get(name);
    const values = query.getAll(name);
    if (parameter === undefined) {
      problems.push(
        `query parameter ${name} is not one of ${method} ${route}'s (${[...byName.keys()].join(", ")})`,
      );
      continue;
    }
    if (values.length > 1) problems.push(`query parameter ${name} is repeated`);
    const value = values[0] ?? "";
    const type = parameter.schema?.type;
    if (type === "integer" && !/^-?\d+$/.test(value))
      problems.push(`query parameter ${name}=${value} is not an integer`);
    if (type === "boolean" && value !== "true" && value !== "false") {
      problems.push(`query parameter ${name}=${value} is not a boolean`);
    }
  }
  return problems;
}

/** Throws when `body` is not a valid registry `schema` (so a test double cannot drift from the registry). */
export function assertRegistryShape(schema: string, body: unknown): void {
  const errors = openApiErrors(schema, body);
  if (errors.length > 0) {
    throw new Error(`test double: this ${schema} is not valid per openapi-subset.json: ${errors.join("; ")}`);
  }
}

/** A problem body as the registry (huma) writes it. */
export interface ProblemBody {
  title: string;
  status: number;
  detail?: string;
  errors?: { location?: string; message?: string; value?: unknown }[];
}

/**
 * Checks a problem body against the subset's `ErrorModel`. The subset lost the `title` property
 * when its prose was removed, though the registry's openapi.yaml (84f7a5e9) declares it
 * (`title: string`) and huma always sends it: `title` is checked here as a string, the rest by the
 * subset's schema.
 */
export function assertProblemShape(body: ProblemBody): void {
  const { title, ...rest } = body;
  if (typeof title !== "string") throw new Error("test double: a problem's title must be a string");
  assertRegistryShape("ErrorModel", rest);
}
