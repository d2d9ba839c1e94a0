import { fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { parseYaml, type YamlValue } from "./policy-yaml.js";

/**
 * A sandbox image's own policy file (`/etc/openshell/policy.yaml`, or the older
 * `/etc/navigator/policy.yaml`), read as upstream's supervisor reads it: upstream's policy YAML
 * schema (openshell-policy's `PolicyFile`), where every level refuses keys it does not know,
 * `version` is required, ports are 16-bit and the filesystem section is `filesystem_policy`.
 */

/** Where images carry their policy, in the order upstream looks. */
export const IMAGE_POLICY_PATHS = ["/etc/openshell/policy.yaml", "/etc/navigator/policy.yaml"] as const;

export type ImagePolicyParse = { ok: true; policy: SandboxPolicy } | { ok: false; problem: string };

type Kind =
  | "string"
  | "bool"
  | "u16"
  | "u32"
  | "strings"
  | "u16s"
  | "any"
  | { object: Fields; required?: readonly string[]; rename?: Readonly<Record<string, string>> }
  | { list: Kind }
  | { map: Kind }
  | "matcher"
  | "params";

type Fields = Readonly<Record<string, Kind>>;

const queryMatchers: Kind = { map: "matcher" };

const l7: Fields = {
  method: "string",
  path: "string",
  command: "string",
  query: queryMatchers,
  operation_type: "string",
  operation_name: "string",
  fields: "strings",
  tool: "matcher",
  params: "params",
};

const endpoint: Fields = {
  host: "string",
  path: "string",
  port: "u16",
  ports: "u16s",
  protocol: "string",
  tls: "string",
  enforcement: "string",
  access: "string",
  rules: { list: { object: { allow: { object: l7 } }, required: ["allow"] } },
  allowed_ips: "strings",
  deny_rules: { list: { object: l7 } },
  allow_encoded_slash: "bool",
  websocket_credential_rewrite: "bool",
  request_body_credential_rewrite: "bool",
  allow_uninspected_credentials: "bool",
  persisted_queries: "string",
  graphql_persisted_queries: {
    map: { object: { operation_type: "string", operation_name: "string", fields: "strings" } },
  },
  graphql_max_body_bytes: "u32",
  credential_signing: "string",
  credential_binding: { object: { provider: "string" }, required: ["provider"] },
  signing_service: "string",
  signing_region: "string",
  json_rpc: { object: { max_body_bytes: "u32" } },
  mcp: { object: { max_body_bytes: "u32", strict_tool_names: "bool", allow_all_known_mcp_methods: "bool" } },
};

const policyFile: Kind = {
  required: ["version"],
  rename: { filesystem_policy: "filesystem" },
  object: {
    version: "u32",
    filesystem_policy: { object: { include_workdir: "bool", read_only: "strings", read_write: "strings" } },
    landlock: { object: { compatibility: "string" } },
    process: { object: { run_as_user: "string", run_as_group: "string" } },
    network_policies: {
      map: {
        object: {
          name: "string",
          endpoints: { list: { object: endpoint } },
          binaries: { list: { object: { path: "string", harness: "bool" }, required: ["path"] } },
        },
      },
    },
    network_middlewares: {
      map: {
        object: {
          name: "string",
          middleware: "string",
          config: "any",
          on_error: "string",
          endpoints: { object: { include: "strings", exclude: "strings" } },
          order: "u32",
        },
      },
    },
  },
};

class SchemaError extends Error {}

const describe = (value: YamlValue) =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "a sequence"
      : typeof value === "object"
        ? "a mapping"
        : `${typeof value} ${JSON.stringify(value)}`;

function isMapping(value: YamlValue): value is { [key: string]: YamlValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks `value` against `kind` and returns it as protobuf JSON (snake_case names proto JSON accepts). */
function check(value: YamlValue, kind: Kind, at: string): JsonValue {
  // An explicit null is a missing value, as serde's `default` reads it for these fields.
  const fail = (wanted: string): never => {
    throw new SchemaError(`${at}: expected ${wanted}, found ${describe(value)}`);
  };
  switch (kind) {
    case "string":
      return typeof value === "string" ? value : fail("a string");
    case "bool":
      return typeof value === "boolean" ? value : fail("true or false");
    case "u16":
    case "u32": {
      const max = kind === "u16" ? 65_535 : 4_294_967_295;
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max
        ? (value as number)
        : fail(`an integer from 0 to ${max}`);
    }
    case "strings":
      return Array.isArray(value)
        ? value.map((v, i) => check(v, "string", `${at}[${i}]`))
        : fail("a sequence of strings");
    case "u16s":
      return Array.isArray(value)
        ? value.map((v, i) => check(v, "u16", `${at}[${i}]`))
        : fail("a sequence of ports");
    case "any":
      return value as JsonValue;
    case "matcher":
      if (typeof value === "string") return { glob: value };
      if (isMapping(value)) return check(value, { object: { any: "strings" } }, at);
      return fail("a glob string or { any: [...] }");
    case "params":
      return isMapping(value) ? flattenParams(value, at) : fail("a mapping");
  }
  if ("list" in kind) {
    return Array.isArray(value)
      ? value.map((v, i) => check(v, kind.list, `${at}[${i}]`))
      : fail("a sequence");
  }
  if ("map" in kind) {
    if (!isMapping(value)) return fail("a mapping");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, check(v, kind.map, `${at}.${k}`)]));
  }
  if (!isMapping(value)) return fail("a mapping");
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    const field = kind.object[key];
    if (field === undefined) {
      throw new SchemaError(
        `${at === "" ? "" : `${at}: `}unknown key ${JSON.stringify(key)} (known: ${Object.keys(kind.object).join(", ")})`,
      );
    }
    if (inner === null) continue;
    out[kind.rename?.[key] ?? key] = check(inner, field, at === "" ? key : `${at}.${key}`);
  }
  for (const key of kind.required ?? []) {
    if (value[key] === undefined || value[key] === null)
      throw new SchemaError(`${at === "" ? "" : `${at}: `}missing key ${JSON.stringify(key)}`);
  }
  return out;
}

/** MCP params as nested maps become the flat dotted keys the proto's matcher map holds. */
function flattenParams(value: { [key: string]: YamlValue }, at: string, prefix = ""): JsonObject {
  const flat: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    if (isMapping(inner) && !("any" in inner))
      Object.assign(flat, flattenParams(inner, `${at}.${key}`, `${name}.`));
    else flat[name] = check(inner, "matcher", `${at}.${key}`);
  }
  return flat;
}

/** The YAML endpoint's nested stanzas (json_rpc, mcp, tool) in the proto's flat fields. */
function flattenEndpoints(policy: JsonObject): void {
  const rules = (policy.network_policies ?? {}) as Record<string, JsonObject>;
  for (const rule of Object.values(rules)) {
    for (const e of (rule.endpoints ?? []) as JsonObject[]) {
      const jsonRpc = e.json_rpc as JsonObject | undefined;
      const mcp = e.mcp as JsonObject | undefined;
      delete e.json_rpc;
      const maxBody = (mcp?.max_body_bytes ?? jsonRpc?.max_body_bytes) as number | undefined;
      if (maxBody !== undefined && maxBody > 0) e.json_rpc_max_body_bytes = maxBody;
      if (mcp !== undefined) {
        delete mcp.max_body_bytes;
        if (Object.keys(mcp).length === 0) delete e.mcp;
      }
      for (const list of [e.rules, e.deny_rules] as (JsonObject[] | undefined)[]) {
        for (const item of list ?? []) {
          const target = ("allow" in item ? item.allow : item) as JsonObject;
          if (target.tool !== undefined) {
            target.params = { ...(target.params as JsonObject | undefined), name: target.tool };
            delete target.tool;
          }
        }
      }
    }
    // `harness` is deprecated upstream and ignored.
    for (const binary of (rule.binaries ?? []) as JsonObject[]) delete binary.harness;
  }
}

/** Reads a policy file's text as upstream does; `problem` says what is wrong, naming the key or line. */
export function parseImagePolicy(text: string): ImagePolicyParse {
  try {
    const document = parseYaml(text);
    const json = check(document, policyFile, "") as JsonObject;
    flattenEndpoints(json);
    return { ok: true, policy: fromJson(SandboxPolicySchema, json) };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}
