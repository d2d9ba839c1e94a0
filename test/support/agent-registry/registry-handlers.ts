import { type HttpHandler, HttpResponse, http } from "msw";
import {
  assertProblemShape,
  assertRegistryShape,
  type ProblemBody,
  queryViolations,
} from "./openapi-checks.js";

/** Where the double answers by default: a name msw intercepts, never resolved on the network. */
export const REGISTRY_URL = "http://registry.test";

/** A registry resource as JSON (a fixture): `metadata.name`, optional `namespace` and `tag`. */
export type ResourceJson = Record<string, unknown> & {
  metadata: {
    name: string;
    namespace?: string;
    tag?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** One log line as the registry's logs route writes it. */
export interface LogLineJson {
  timestamp?: string;
  stream?: string;
  line: string;
}

/** What the double serves, from memory. Every resource is checked against openapi-subset.json. */
export interface RegistryContents {
  agents?: ResourceJson[];
  models?: ResourceJson[];
  runtimes?: ResourceJson[];
  deployments?: ResourceJson[];
  /** Log lines by deployment name (namespace `default`, or `namespace/name`). */
  logs?: Record<string, LogLineJson[]>;
}

/** How the double behaves. */
export interface RegistryDoubleOptions {
  /** Its base URL (default {@link REGISTRY_URL}); may carry a path prefix before `/v0`. */
  baseUrl?: string;
  /** When set, every request must carry `Authorization: Bearer <token>`, else 401. */
  token?: string;
}

/** A request the double received, as sent. */
export interface RecordedRequest {
  method: string;
  /** The raw path under the base URL, still encoded (`/v0/agents/a%2Fb`). */
  path: string;
  query: URLSearchParams;
  authorization: string | null;
}

/** The double's handlers and what it received. */
export interface RegistryDouble {
  handlers: HttpHandler[];
  requests: RecordedRequest[];
}

/** A problem answer (`application/problem+json`), its body checked against the registry's ErrorModel. */
export function problemResponse(
  status: number,
  title: string,
  detail?: string,
  errors?: ProblemBody["errors"],
) {
  const body: ProblemBody = {
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(errors === undefined ? {} : { errors }),
  };
  assertProblemShape(body);
  return HttpResponse.json(body, { status, headers: { "Content-Type": "application/problem+json" } });
}

/** A 200 answer whose body is checked against the registry's schema `schema` first. */
export function registryResponse(schema: string, body: unknown) {
  try {
    assertRegistryShape(schema, body);
  } catch (err) {
    // Answered, not thrown: msw would turn a throw into an anonymous 500.
    return problemResponse(500, "Internal Server Error", err instanceof Error ? err.message : String(err));
  }
  return HttpResponse.json(body as Record<string, unknown>);
}

const DEFAULT_LIMIT = 50; // the registry's default page size
const MAX_LOG_LINES = 10_000; // the registry's cap on the logs route
const ORIGIN_ANNOTATION = "agentregistry.solo.io/origin";

const namespaceOf = (resource: ResourceJson) => resource.metadata.namespace || "default";

/**
 * msw handlers that answer the registry's read routes (`/v0/agents|models/{name}[/{tag}]`,
 * `/v0/runtimes/{name}`, `/v0/deployments[/{name}[/logs]]`) from `contents`, as the registry does:
 * namespaces (`default`, `all` for lists), label selectors, origin filter, opaque cursors, 404
 * problems in its words. Every request's query is checked against the subset's parameters (an
 * undeclared name or a wrong type is answered 400 naming it) and every body against its schemas.
 */
export function registryDouble(
  contents: RegistryContents,
  options: RegistryDoubleOptions = {},
): RegistryDouble {
  const base = (options.baseUrl ?? REGISTRY_URL).replace(/\/+$/, "");
  const prefix = new URL(base).pathname.replace(/\/+$/, "");
  const store = {
    agents: checked("Agent", contents.agents),
    models: checked("Model", contents.models),
    runtimes: checked("Runtime", contents.runtimes),
    deployments: checked("Deployment", contents.deployments),
  };
  const requests: RecordedRequest[] = [];

  // Records, authenticates and checks the query of every request before its route answers.
  const route =
    (answer: (request: Request, params: Record<string, string>, query: URLSearchParams) => Response) =>
    ({
      request,
      params,
    }: {
      request: Request;
      params: Record<string, string | readonly string[] | undefined>;
    }) => {
      const url = new URL(request.url);
      const path = url.pathname.slice(prefix.length);
      const authorization = request.headers.get("authorization");
      requests.push({ method: request.method, path, query: url.searchParams, authorization });
      if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
        return problemResponse(401, "Unauthorized", "missing or invalid bearer token");
      }
      const violations = queryViolations(request.method, path, url.searchParams);
      if (violations.length > 0)
        return problemResponse(400, "Bad Request", `test double: ${violations.join("; ")}`);
      const names = Object.fromEntries(Object.entries(params).map(([key, value]) => [key, String(value)]));
      return answer(request, names, url.searchParams);
    };

  const getTagged = (kind: string, items: ResourceJson[]) =>
    route((_request, { name = "", tag }, query) => {
      const namespace = query.get("namespace") || "default";
      const named = items.filter((r) => r.metadata.name === name && namespaceOf(r) === namespace);
      const found =
        tag === undefined
          ? (named.find((r) => r.metadata.tag === "latest") ?? named.at(-1))
          : named.find((r) => r.metadata.tag === tag);
      if (found === undefined) return notFound(kind, namespace, name, tag);
      return registryResponse(kind, found);
    });

  const getOne = (kind: string, items: ResourceJson[]) =>
    route((_request, { name = "" }, query) => {
      const namespace = query.get("namespace") || "default";
      const found = items.find((r) => r.metadata.name === name && namespaceOf(r) === namespace);
      return found === undefined ? notFound(kind, namespace, name) : registryResponse(kind, found);
    });

  const listDeployments = route((_request, _params, query) => {
    const namespace = query.get("namespace") || "default";
    const origin = query.get("origin") ?? "";
    if (!["", "managed", "discovered"].includes(origin)) {
      return problemResponse(400, "Bad Request", "invalid origin filter: expected managed or discovered");
    }
    const selector = parseSelector(query.get("labels") ?? "");
    if (typeof selector === "string")
      return problemResponse(400, "Bad Request", `invalid labels selector: ${selector}`);
    const matching = store.deployments.filter((d) => {
      const labels = d.metadata.labels ?? {};
      const annotations = d.metadata.annotations ?? {};
      const discovered = annotations[ORIGIN_ANNOTATION] === "discovered";
      return (
        (namespace === "all" || namespaceOf(d) === namespace) &&
        Object.entries(selector).every(([key, value]) => labels[key] === value) &&
        (origin === "" || (origin === "discovered") === discovered)
      );
    });
    const limit = Number(query.get("limit") ?? DEFAULT_LIMIT) || DEFAULT_LIMIT;
    const start = decodeCursor(query.get("cursor"));
    if (start === undefined) return problemResponse(400, "Bad Request", "invalid cursor");
    const items = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? { nextCursor: encodeCursor(start + limit) } : {};
    return registryResponse("ListOutputDeploymentBody", { items, ...next });
  });

  const logs = route((_request, { name = "" }, query) => {
    if (query.get("follow") === "true") {
      return problemResponse(
        400,
        "Bad Request",
        "follow=true is not supported on this endpoint; the streaming SSE variant is tracked as a follow-up",
      );
    }
    const namespace = query.get("namespace") || "default";
    if (!store.deployments.some((d) => d.metadata.name === name && namespaceOf(d) === namespace)) {
      return notFound("Deployment", namespace, name);
    }
    const all = contents.logs?.[namespace === "default" ? name : `${namespace}/${name}`] ?? [];
    const asked = Number(query.get("tailLines") ?? 0);
    const tail = asked <= 0 || asked > MAX_LOG_LINES ? MAX_LOG_LINES : asked;
    return HttpResponse.json({ lines: all.slice(-tail) });
  });

  const v0 = `${base}/v0`;
  return {
    requests,
    handlers: [
      http.get(`${v0}/agents/:name`, getTagged("Agent", store.agents)),
      http.get(`${v0}/agents/:name/:tag`, getTagged("Agent", store.agents)),
      http.get(`${v0}/models/:name`, getTagged("Model", store.models)),
      http.get(`${v0}/models/:name/:tag`, getTagged("Model", store.models)),
      http.get(`${v0}/runtimes/:name`, getOne("Runtime", store.runtimes)),
      http.get(`${v0}/deployments`, listDeployments),
      http.get(`${v0}/deployments/:name`, getOne("Deployment", store.deployments)),
      http.get(`${v0}/deployments/:name/logs`, logs),
    ],
  };
}

function checked(schema: string, items: ResourceJson[] | undefined): ResourceJson[] {
  for (const item of items ?? []) assertRegistryShape(schema, item);
  return items ?? [];
}

// The registry's 404 words (pkg/registry/resource/handler.go mapNotFound).
function notFound(kind: string, namespace: string, name: string, tag?: string) {
  const at = tag === undefined ? "" : `@${JSON.stringify(tag)}`;
  return problemResponse(
    404,
    "Not Found",
    `${kind} ${JSON.stringify(namespace)}/${JSON.stringify(name)}${at} not found`,
  );
}

// `k=v,k2=v2`, split on `,` and the first `=`, as the registry parses it; a string is the error.
function parseSelector(text: string): Record<string, string> | string {
  const selector: Record<string, string> = {};
  for (const raw of text.split(",")) {
    const pair = raw.trim();
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) return `label ${JSON.stringify(pair)} must be key=value`;
    selector[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return selector;
}

// Opaque to clients, as the registry's are; here the offset of the next page.
function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

function decodeCursor(cursor: string | null): number | undefined {
  if (cursor === null) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match === null ? undefined : Number(match[1]);
}
