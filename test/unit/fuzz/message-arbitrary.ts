import {
  create,
  type DescField,
  type DescMessage,
  type Message,
  type MessageInitShape,
  ScalarType,
} from "@bufbuild/protobuf";
import fc from "fast-check";
import { hostileString } from "./fuzz-support.js";

/** Values that get a request past the first lookup, so the fuzz reaches deeper code. */
export interface KnownValues {
  sandboxId: string;
  sandboxName: string;
  /** Leave out the strings of many kilobytes (for properties about framing, not field sizes). */
  shortStrings?: boolean;
}

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Strings for a field, leaning on its name: ids and names are often ones the gateway knows. */
function stringArb(field: DescField, known: KnownValues): fc.Arbitrary<string> {
  const name = field.name;
  const likely: string[] = [];
  if (/(^|_)id$/.test(name)) likely.push(known.sandboxId);
  if (/name$/.test(name)) likely.push(known.sandboxName, "default", "openai");
  if (name === "workspace") likely.push("default", "");
  return fc.oneof(
    {
      weight: 3,
      arbitrary: known.shortStrings ? hostileString.filter((v) => v.length <= 1_000) : hostileString,
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom("", "fuzz", "a-b", "127.0.0.1", "ERROR", "sandbox", "k=v,a=b", ...likely),
    },
    ...(likely.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...likely) }] : []),
  );
}

function scalarArb(type: ScalarType, field: DescField, known: KnownValues): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return stringArb(field, known);
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.BYTES:
      return fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 300_000 }).map((n) => new Uint8Array(n)),
      );
    case ScalarType.DOUBLE:
      return fc.double();
    case ScalarType.FLOAT:
      // A float field holds 32 bits: a larger double cannot be encoded at all (toBinary throws).
      return fc.float();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(
        fc.integer({ min: -5, max: 100 }),
        fc.integer(int32),
        fc.constantFrom(int32.min, int32.max),
      );
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constantFrom(0, 2 ** 31, 2 ** 32 - 1),
      );
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.oneof(
        fc.bigInt({ min: -5n, max: 100n }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      );
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  }
}

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

function singularArb(field: DescField, known: KnownValues, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArb(field.scalar, field, known);
    case "enum":
      return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.integer(int32));
    case "message":
      return messageInitArb(field.message, known, depth + 1);
    default:
      return fc.constant(undefined);
  }
}

function elementArb(field: DescField, known: KnownValues, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "list") {
    if (field.listKind === "scalar") return scalarArb(field.scalar, field, known);
    if (field.listKind === "enum") return fc.integer(int32);
    return messageInitArb(field.message, known, depth + 1);
  }
  if (field.fieldKind === "map") {
    if (field.mapKind === "scalar") return scalarArb(field.scalar, field, known);
    if (field.mapKind === "enum") return fc.integer(int32);
    return messageInitArb(field.message, known, depth + 1);
  }
  return fc.constant(undefined);
}

function fieldArb(field: DescField, known: KnownValues, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "list") {
    const element = elementArb(field, known, depth);
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(element, { maxLength: 4 }) },
      // Past the gateway's list limits (providers 32, command 256 / 1024 arguments).
      ...(field.listKind === "scalar" && field.scalar === ScalarType.STRING
        ? [{ weight: 1, arbitrary: fc.constantFrom(33, 257, 1025).map((n) => Array(n).fill("x")) }]
        : []),
    );
  }
  if (field.fieldKind === "map") {
    const element = elementArb(field, known, depth);
    const key =
      field.mapKey === ScalarType.STRING ? hostileString : fc.integer({ min: 0, max: 100 }).map(String);
    return fc.oneof(
      { weight: 6, arbitrary: fc.dictionary(key, element, { maxKeys: 4 }) },
      // Past the environment's 128 entries.
      ...(field.mapKind === "scalar" && field.scalar === ScalarType.STRING
        ? [
            {
              weight: 1,
              arbitrary: fc.constant(
                Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`K${i}`, "v"])),
              ),
            },
          ]
        : []),
    );
  }
  if (field.fieldKind === "message" && field.message.typeName === "google.protobuf.Struct") return jsonObject;
  return singularArb(field, known, depth);
}

/**
 * The init of a message of type `desc` with every field left out or filled with arbitrary values of
 * its type (hostile strings, extreme numbers, unknown enum values, long lists, nested messages up to
 * three levels, one case of each oneof).
 */
export function messageInitArb(
  desc: DescMessage,
  known: KnownValues,
  depth = 0,
): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        fc.constant({ case: undefined }),
        ...member.fields.map((f) =>
          singularArb(f, known, depth).map((value) => ({ case: f.localName, value })),
        ),
      );
    } else {
      parts[member.localName] = fieldArb(member, known, depth);
    }
  }
  return fc.record(parts, { requiredKeys: [] });
}

/** A message of type `desc` built with `create()` from an arbitrary init. */
export function messageArb<Desc extends DescMessage>(desc: Desc, known: KnownValues): fc.Arbitrary<Message> {
  return messageInitArb(desc, known).map((init) => create(desc, init as MessageInitShape<Desc>));
}

/** Every field name of a message type and the types inside it, as the proto and the code spell them. */
export function fieldNames(desc: DescMessage, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(desc.typeName)) return names;
  seen.add(desc.typeName);
  for (const field of desc.fields) {
    names.add(field.name);
    names.add(field.localName);
    const inner = field.message;
    if (inner) for (const n of fieldNames(inner, seen)) names.add(n);
  }
  for (const oneof of desc.oneofs) names.add(oneof.name);
  return names;
}
