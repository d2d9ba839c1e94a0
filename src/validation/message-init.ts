import {
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescOneof,
  isMessage,
  type MessageInitShape,
  ScalarType,
} from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { z } from "zod";

/** Where a message init went wrong, relative to the init itself. */
export interface InitIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Deeper JSON than this in a Struct is refused. Protobuf's decoders (the gateway's, local mode's)
 * stop at 100 nested messages, and each JSON level costs two (a Struct or ListValue and its Value)
 * below the request's own few: 48 levels in a sandbox's driverConfig already fail to decode there.
 */
export const maxJsonDepth = 32;

type Path = (string | number)[];

/**
 * Checks a message init (the plain object `create()` takes, or a message) against the message's
 * descriptor. `create()` and `toBinary()` check almost nothing a caller can get wrong: `create()`
 * spreads a string given for a list into its characters and drops fields it does not know (a typo
 * in a policy silently removes the rule), and `toBinary()` throws a bare Error or TypeError naming
 * no field. This walks the init instead and names the first offending field. Messages never quote
 * a value: inits may carry secrets.
 */
export function messageInitIssue(desc: DescMessage, value: unknown): InitIssue | undefined {
  return checkMessage(desc, value, [], new Set());
}

/**
 * A zod schema for a message init: anything `messageInitIssue` accepts, typed as the init shape.
 * The issue's path continues the path of the field holding the message.
 */
export function messageInitSchema<Desc extends DescMessage>(desc: Desc) {
  return z.custom<MessageInitShape<Desc>>().superRefine((value, ctx) => {
    const issue = messageInitIssue(desc, value);
    if (issue) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: value });
  });
}

/** A zod schema for a JSON object (what a `google.protobuf.Struct` field takes). */
export const jsonObjectSchema = z.custom<{ [key: string]: JsonInit }>().superRefine((value, ctx) => {
  const issue = checkJson(value, [], new Set(), 0, true);
  if (issue) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: value });
});

type JsonInit = string | number | boolean | null | JsonInit[] | { [key: string]: JsonInit };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const unset = (value: unknown) => value === undefined || value === null;

function checkMessage(
  desc: DescMessage,
  value: unknown,
  path: Path,
  seen: Set<object>,
): InitIssue | undefined {
  const shortName = desc.name;
  const isMsg = isMessage(value, desc);
  if (!isMsg && !isPlainObject(value)) return { path, message: `must be an object (a ${shortName})` };
  const object = value as Record<string, unknown>;
  if (seen.has(object)) return { path, message: "refers to itself" };
  seen.add(object);
  try {
    const byName = new Map<string, DescField | DescOneof>(desc.members.map((m) => [m.localName, m]));
    // A message's fields may live on its prototype; a plain init's are its own keys.
    const keys = isMsg ? desc.members.map((m) => m.localName) : Object.keys(object);
    for (const key of keys) {
      if (key === "$typeName") {
        if (object[key] !== desc.typeName)
          return { path: [...path, key], message: `must be "${desc.typeName}"` };
        continue;
      }
      const member = byName.get(key);
      if (member === undefined) return unknownField(desc, key, path);
      const v = object[key];
      if (unset(v)) continue;
      const issue =
        member.kind === "oneof"
          ? checkOneof(member, v, [...path, key], seen)
          : checkField(member, v, [...path, key], seen);
      if (issue) return issue;
    }
    return undefined;
  } finally {
    seen.delete(object);
  }
}

function unknownField(desc: DescMessage, key: string, path: Path): InitIssue {
  // `read_only` for `readOnly`: the proto (and YAML) spelling is the likeliest mistake.
  const meant = desc.members.find((m) => m.kind === "field" && m.name === key && m.localName !== key);
  const hint = meant ? `; did you mean ${meant.localName}?` : "";
  return { path: [...path, key], message: `is not a field of ${desc.name}${hint}` };
}

function checkOneof(oneof: DescOneof, value: unknown, path: Path, seen: Set<object>): InitIssue | undefined {
  const cases = oneof.fields.map((f) => f.localName);
  if (!isPlainObject(value))
    return { path, message: `must be { case, value } with case one of ${cases.join(", ")}` };
  const chosen = value.case;
  if (chosen === undefined) return undefined;
  const field = oneof.fields.find((f) => f.localName === chosen);
  if (field === undefined) return { path: [...path, "case"], message: `must be one of ${cases.join(", ")}` };
  if (unset(value.value)) return { path: [...path, "value"], message: "is required with a case" };
  return checkField(field, value.value, [...path, "value"], seen);
}

function checkField(field: DescField, value: unknown, path: Path, seen: Set<object>): InitIssue | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return checkScalar(field.scalar, value, path);
    case "enum":
      return checkEnum(field.enum, value, path);
    case "message":
      return checkSingularMessage(field, field.message, value, path, seen);
    case "list": {
      if (!Array.isArray(value)) return { path, message: "must be an array" };
      for (const [i, item] of value.entries()) {
        const itemPath = [...path, i];
        if (unset(item)) return { path: itemPath, message: "must not be null or undefined" };
        const issue =
          field.listKind === "scalar"
            ? checkScalar(field.scalar, item, itemPath)
            : field.listKind === "enum"
              ? checkEnum(field.enum, item, itemPath)
              : checkMessage(field.message, item, itemPath, seen);
        if (issue) return issue;
      }
      return undefined;
    }
    case "map": {
      if (!isPlainObject(value)) return { path, message: "must be an object (a map)" };
      for (const [key, item] of Object.entries(value)) {
        const itemPath = [...path, key];
        const keyIssue = checkMapKey(field.mapKey, key, itemPath);
        if (keyIssue) return keyIssue;
        if (unset(item)) return { path: itemPath, message: "must not be null or undefined" };
        const issue =
          field.mapKind === "scalar"
            ? checkScalar(field.scalar, item, itemPath)
            : field.mapKind === "enum"
              ? checkEnum(field.enum, item, itemPath)
              : checkMessage(field.message, item, itemPath, seen);
        if (issue) return issue;
      }
      return undefined;
    }
  }
}

/** The well-known types protobuf-es unboxes in singular fields: Struct as JSON, wrappers as scalars. */
function checkSingularMessage(
  field: DescField,
  desc: DescMessage,
  value: unknown,
  path: Path,
  seen: Set<object>,
): InitIssue | undefined {
  if (!field.oneof && isWrapperDesc(desc)) {
    const inner = desc.fields[0];
    return inner?.fieldKind === "scalar" ? checkScalar(inner.scalar, value, path) : undefined;
  }
  if (desc.typeName === "google.protobuf.Struct") return checkJson(value, path, seen, 0, true);
  return checkMessage(desc, value, path, seen);
}

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const uint32 = { min: 0, max: 2 ** 32 - 1 };
const int64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const uint64 = { min: 0n, max: 2n ** 64n - 1n };

function checkScalar(type: ScalarType, value: unknown, path: Path): InitIssue | undefined {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === "string" ? undefined : { path, message: "must be a string" };
    case ScalarType.BOOL:
      return typeof value === "boolean" ? undefined : { path, message: "must be a boolean" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return typeof value === "number" ? undefined : { path, message: "must be a number" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return inRange(value, int32)
        ? undefined
        : { path, message: "must be an integer that fits in an int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return inRange(value, uint32)
        ? undefined
        : { path, message: "must be an integer that fits in a uint32" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return inRange64(value, int64)
        ? undefined
        : { path, message: "must be a bigint that fits in an int64" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return inRange64(value, uint64)
        ? undefined
        : { path, message: "must be a bigint that fits in a uint64" };
    case ScalarType.BYTES:
      return value instanceof Uint8Array ? undefined : { path, message: "must be a Uint8Array" };
  }
}

function inRange(value: unknown, range: { min: number; max: number }): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= range.min && value <= range.max;
}

/** 64-bit fields take a bigint, or a number or decimal string that is an exact integer. */
function inRange64(value: unknown, range: { min: bigint; max: bigint }): boolean {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^-?[0-9]{1,20}$/.test(value)) n = BigInt(value);
  else return false;
  return n >= range.min && n <= range.max;
}

function checkEnum(desc: DescEnum, value: unknown, path: Path): InitIssue | undefined {
  if (typeof value === "number" && desc.values.some((v) => v.number === value)) return undefined;
  return { path, message: `must be a value of ${desc.name}` };
}

function checkMapKey(type: ScalarType, key: string, path: Path): InitIssue | undefined {
  switch (type) {
    case ScalarType.STRING:
      return undefined;
    case ScalarType.BOOL:
      return key === "true" || key === "false"
        ? undefined
        : { path, message: 'key must be "true" or "false"' };
    default:
      return /^-?[0-9]+$/.test(key) ? undefined : { path, message: "key must be an integer" };
  }
}

/**
 * A JSON value as a Struct carries it: objects, arrays, strings, finite numbers, booleans, null.
 * `undefined`, NaN, bigint, functions, dates and class instances have no JSON form (protobuf-es
 * would send null or {} in their place), and depth is bounded.
 */
function checkJson(
  value: unknown,
  path: Path,
  seen: Set<object>,
  depth: number,
  objectOnly = false,
): InitIssue | undefined {
  if (depth > maxJsonDepth) return { path, message: `is nested more than ${maxJsonDepth} levels deep` };
  if (!objectOnly) {
    if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
    if (typeof value === "number")
      return Number.isFinite(value) ? undefined : { path, message: "must be a finite number" };
  }
  const isArray = Array.isArray(value);
  if (objectOnly ? !isPlainObject(value) : !isArray && !isPlainObject(value)) {
    return {
      path,
      message: objectOnly
        ? "must be a JSON object"
        : "must be a JSON value (string, finite number, boolean, null, array or object; omit a key rather than set it to undefined)",
    };
  }
  const container = value as object;
  if (seen.has(container)) return { path, message: "refers to itself" };
  seen.add(container);
  try {
    const entries: [string | number, unknown][] = isArray
      ? [...(value as unknown[]).entries()]
      : Object.entries(container);
    for (const [key, item] of entries) {
      const issue = checkJson(item, [...path, key], seen, depth + 1);
      if (issue) return issue;
    }
    return undefined;
  } finally {
    seen.delete(container);
  }
}
