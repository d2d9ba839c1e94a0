import fc from "fast-check";

/**
 * Inputs valid by construction, from the documented rules (SEMANTICS.md and the TSDoc of each
 * option): the SDK must accept every one of them and send it unchanged, so each property can fail
 * both ways (a rejection of these is as much a defect as an acceptance of garbage).
 */

/** Strings of well-formed Unicode: any code point, never an unpaired surrogate. */
export const text = (maxLength = 20) => fc.string({ unit: "grapheme", maxLength });

/** Sandbox names: DNS-1123 labels of at most 19 characters, no `--`. */
export const sandboxName = fc
  .stringMatching(/^[a-z0-9]([a-z0-9-]{0,17}[a-z0-9])?$/)
  .filter((s) => !s.includes("--"));

/** Provider and route names: letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit. */
export const objectName = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,30}[A-Za-z0-9])?$/);

/** Environment keys: `^[A-Za-z_][A-Za-z0-9_]*$`, at most 256 bytes. */
export const envKey = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/).filter((k) => k !== "__proto__");

/** At most 128 entries; values up to 8 KiB (kept short here, the limit has its own cases). */
export const env = fc.dictionary(envKey, text(40), { maxKeys: 6, noNullPrototype: true });

/** Label keys as Kubernetes writes them (`[prefix/]name`), values up to 63 characters. */
export const labelKey = fc.stringMatching(
  /^([a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,30}[A-Za-z0-9])?$/,
);
export const labelValue = fc.stringMatching(/^([A-Za-z0-9]([A-Za-z0-9_.-]{0,30}[A-Za-z0-9])?)?$/);
export const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 5, noNullPrototype: true });

/** Free-form string maps (annotations, container labels, provider config). */
export const stringMap = fc.dictionary(
  text(20).filter((k) => k !== "__proto__" && k !== ""),
  text(30),
  { maxKeys: 4, noNullPrototype: true },
);

/** A command: arguments without NUL. */
export const argument = text(30).filter((a) => !a.includes("\0"));
export const command = fc.array(argument, { minLength: 1, maxLength: 6 });

export const workspace = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);

const port = fc.integer({ min: 1, max: 65_535 });

/** A network endpoint as SEMANTICS.md section 8 and 15 describe it. */
export const endpoint = fc.record(
  {
    host: fc.oneof(
      fc.domain().filter((d) => d.length <= 253),
      fc.constant("*.example.com"),
      fc.constant("**.example.org"),
    ),
    port: fc.integer({ min: 0, max: 65_535 }),
    ports: fc.array(port, { maxLength: 3 }),
    protocol: fc.constantFrom("", "tcp", "rest", "websocket", "graphql", "sql", "json-rpc", "mcp"),
    tls: fc.constantFrom("", "terminate", "passthrough", "skip"),
    enforcement: fc.constantFrom("", "enforce", "audit"),
    access: fc.constantFrom("", "read-only", "read-write", "full"),
    allowedIps: fc.array(fc.constantFrom("10.0.0.0/8", "192.168.1.1", "0.0.0.0/0", "::1"), { maxLength: 2 }),
    rules: fc.array(
      fc.record({
        allow: fc.record({
          method: fc.constantFrom("GET", "POST", "*"),
          path: fc.constantFrom("/", "/v1/**"),
        }),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

export const binary = fc.record({ path: fc.constantFrom("/usr/bin/curl", "/usr/bin/*", "/**/python3") });

export const rule = fc.record(
  {
    name: text(10),
    endpoints: fc.array(endpoint, { maxLength: 3 }),
    binaries: fc.array(binary, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

export const networkPolicies = fc.dictionary(objectName, rule, { maxKeys: 3, noNullPrototype: true });

/** A whole sandbox policy (the init shape of SandboxPolicy). */
export const policy = fc.record(
  {
    version: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    filesystem: fc.record(
      {
        includeWorkdir: fc.boolean(),
        readOnly: fc.array(fc.constantFrom("/usr", "/etc", "/lib"), { maxLength: 3 }),
        readWrite: fc.array(fc.constantFrom("/tmp", "/sandbox"), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    landlock: fc.record({ compatibility: fc.constantFrom("best_effort", "hard_requirement") }),
    process: fc.record({
      runAsUser: fc.constantFrom("sandbox", "1000"),
      runAsGroup: fc.constantFrom("sandbox", "1000"),
    }),
    networkPolicies,
  },
  { requiredKeys: [] },
);

/** JSON objects (Struct fields: driver config); no `__proto__` key at any depth (the SDK refuses it). */
export const jsonObject = fc
  .dictionary(text(10), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4, noNullPrototype: true })
  .filter((o) => !JSON.stringify(o).includes('"__proto__":'));

/** Secret-looking credential values, long enough to be recognised anywhere they leak. */
export const secret = fc
  .tuple(fc.constantFrom("sk-", "ghp_", "xoxb-", "AKIA", "eyJ"), fc.stringMatching(/^[A-Za-z0-9]{16,40}$/))
  .map(([prefix, body]) => `${prefix}${body}`);
