/** A part of an input that cannot reach the gateway as the caller wrote it. */
export interface SendableIssue {
  path: (string | number)[];
  message: string;
}

/** Matches only unpaired surrogates: in a `u` regex a well-formed pair is one code point. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

/** Beyond this depth the schemas have already refused the input (JSON is capped at maxJsonDepth levels). */
const maxDepth = 128;

/**
 * Finds what validation would otherwise let through changed: an own `__proto__` key (as JSON.parse
 * makes one), which zod drops from records without a word, so `env: {"__proto__": "x"}` would be
 * sent without the entry; and a string with an unpaired surrogate (cut through an emoji), which
 * the wire's UTF-8 turns into U+FFFD. Walks plain objects, arrays and messages only; never quotes a
 * value (inputs carry credentials).
 */
export function unsendableIssue(input: unknown): SendableIssue | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof value === "string") {
      if (loneSurrogate.test(value)) {
        return {
          path,
          message: "must be valid Unicode: it has an unpaired surrogate (a string cut in half?)",
        };
      }
      continue;
    }
    if (!walkable(value) || seen.has(value) || path.length > maxDepth) continue;
    seen.add(value);
    if (Object.hasOwn(value, "__proto__")) {
      return { path: [...path, "__proto__"], message: '"__proto__" cannot be used as a key' };
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? [...value.entries()]
      : Object.entries(value);
    for (const [key] of entries) {
      if (typeof key === "string" && loneSurrogate.test(key)) {
        return { path: [...path, key], message: "key must be valid Unicode: it has an unpaired surrogate" };
      }
    }
    // Pushed in reverse, so that the first offending entry is the one reported.
    for (const [key, item] of entries.reverse()) stack.push({ value: item, path: [...path, key] });
  }
  return undefined;
}

/** Plain objects, arrays and protobuf messages; not buffers, signals, dates or other instances. */
function walkable(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return (
    proto === Object.prototype ||
    proto === null ||
    typeof (value as { $typeName?: unknown }).$typeName === "string"
  );
}
