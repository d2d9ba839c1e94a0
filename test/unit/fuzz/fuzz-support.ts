import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, expect } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";

/**
 * Runs per property. CI uses each property's own default, chosen so the whole fuzz folder stays
 * within ~20 s on two cores; `FUZZ_RUNS=<n>` (see `npm run fuzz`) runs every property n times.
 */
export function runs(ciDefault: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : ciDefault;
}

/** A test's time limit for `n` runs of a property whose run takes up to `msPerRun` on a busy machine. */
export function timeFor(n: number, msPerRun: number): number {
  return 30_000 + n * msPerRun;
}

/**
 * Counts the generated cases of one test file and prints the total when the file ends, so a run
 * shows how many cases it tried (`fuzz <file>: <n> cases`).
 */
export function caseCounter(file: string): { count: () => void; total: () => number } {
  let n = 0;
  afterAll(() => {
    console.log(`fuzz ${file}: ${n} cases`);
  });
  return {
    count: () => {
      n += 1;
    },
    total: () => n,
  };
}

/** fast-check settings of every property: a fixed number of runs and a bound on each run. */
export function settings(numRuns: number, perRunTimeoutMs = 5_000): fc.Parameters<unknown> {
  return { numRuns, timeout: perRunTimeoutMs };
}

// Hostile values ---------------------------------------------------------------------------------

/** Keys that mean something to JavaScript objects themselves. */
export const prototypeKeys = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
];

/** An object that holds `key` as an own, enumerable property, as JSON.parse makes it (even `__proto__`). */
export function withOwnKey(key: string, value: unknown, base: Record<string, unknown> = {}): object {
  const o: Record<string, unknown> = { ...base };
  Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
  return o;
}

/** An object nested `depth` levels deep under `key`. */
export function nested(depth: number, key = "a", leaf: unknown = "x"): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

/** An object whose `key` refers back to itself. */
export function cyclic(key = "self"): object {
  const o: Record<string, unknown> = {};
  o[key] = o;
  return o;
}

/** Strings a careless or hostile caller might pass: empty, NUL, unicode edge cases, huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\0",
      "a\0b",
      "\ud800",
      "\u202e",
      "..",
      "/",
      "a/b",
      "🙂",
      "ı",
      "\n",
      "a=b",
      ...prototypeKeys,
    ),
  },
  // Large enough to cross every limit (names 19, labels 63, keys 256 B, values 8 KiB, args 32 KiB).
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 300_000 }).map((n) => "a".repeat(n)) },
);

/** Any value at all, including the shapes that break careless code (cycles, depth, exotic objects). */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      null,
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0,
      2 ** 53,
      -1,
      1.5,
      10n,
      Symbol("s"),
      () => "f",
      new Date(Number.NaN),
      new Uint8Array([0, 1]),
      new Map([["a", "b"]]),
      [],
      {},
      Object.create(null),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 20_000 }).map((d) => nested(d)) },
  { weight: 1, arbitrary: fc.constantFrom(...prototypeKeys).map((k) => withOwnKey(k, "x")) },
  { weight: 1, arbitrary: fc.constant(null).map(() => cyclic()) },
);

/** A record (string keys) of hostile keys and the given values, with prototype keys as own keys. */
export function hostileRecord<V>(value: fc.Arbitrary<V>): fc.Arbitrary<Record<string, V>> {
  return fc
    .array(fc.tuple(fc.oneof(hostileString, fc.constantFrom(...prototypeKeys)), value), { maxLength: 6 })
    .map((entries) => {
      const o: Record<string, V> = {};
      for (const [k, v] of entries) {
        Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
      }
      return o;
    });
}

/**
 * An options object built field by field: each known field is left out, given a valid value or a
 * hostile one, and sometimes an unknown field is added, so that rejections come from every field.
 */
export function optionsOf(
  fields: Record<string, fc.Arbitrary<unknown>>,
  hostile: fc.Arbitrary<unknown> = hostileValue,
): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([key, valid]) =>
    fc
      .oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: valid },
        { weight: 1, arbitrary: hostile },
      )
      .map((value) => [key, value] as const),
  );
  return fc
    .tuple(fc.tuple(...entries), fc.option(fc.tuple(hostileString, hostile), { freq: 8 }))
    .map(([given, extra]) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of given) if (v !== undefined) o[k] = v;
      if (extra && !(extra[0] in fields)) {
        Object.defineProperty(o, extra[0], {
          value: extra[1],
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return o;
    });
}

/**
 * A valid value with one part spoiled: somewhere inside it (a nested field, a list item, a map
 * entry) a value is replaced by a hostile one, or an unknown key is added. Finds the checks that
 * look only at the top of an input.
 */
export function corrupted<T>(
  valid: fc.Arbitrary<T>,
  hostile: fc.Arbitrary<unknown> = hostileValue,
): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.nat(), hostile, fc.boolean(), hostileString)
    .map(([value, pick, replacement, addKey, key]) => {
      const copy = structuredClone(value) as unknown;
      const holders: (Record<string, unknown> | unknown[])[] = [];
      const walk = (v: unknown) => {
        if (typeof v !== "object" || v === null) return;
        holders.push(v as Record<string, unknown>);
        for (const child of Object.values(v)) walk(child);
      };
      walk(copy);
      const holder = holders[pick % Math.max(holders.length, 1)];
      if (holder === undefined) return replacement;
      const keys = Object.keys(holder);
      // Arrays get an element spoiled, never a named property (no caller builds those).
      const target =
        (addKey && !Array.isArray(holder)) || keys.length === 0
          ? Array.isArray(holder)
            ? String(holder.length)
            : key
          : (keys[pick % keys.length] as string);
      Object.defineProperty(holder, target, {
        value: replacement,
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return copy;
    });
}

/**
 * Every value the caller gave is in what was sent (a message decoded from the wire may hold more:
 * defaults, its type name). Numbers and bigints of one value compare equal, as 64-bit fields do.
 * Plain comparisons, not `expect` per leaf: this runs for every field of thousands of cases.
 */
export function expectGivenWasSent(given: unknown, sent: unknown, path = "input"): void {
  if (given === undefined || given === null) return;
  const differ = (what: string) => {
    throw new Error(
      `${path}: ${what} (given ${inspect(given, { depth: 1 }).slice(0, 200)}, sent ${inspect(sent, { depth: 1 }).slice(0, 200)})`,
    );
  };
  if (typeof given === "bigint" || typeof sent === "bigint") {
    if (String(sent) !== String(given)) differ("changed");
    return;
  }
  if (given instanceof Uint8Array) {
    if (!(sent instanceof Uint8Array) || Buffer.compare(Buffer.from(sent), Buffer.from(given)) !== 0)
      differ("changed");
    return;
  }
  if (typeof given !== "object") {
    // -0 and 0 are one value on the wire.
    if (sent !== given && !Object.is(sent, given)) differ("changed");
    return;
  }
  if (typeof sent !== "object" || sent === null) differ("not sent");
  if (Array.isArray(given) && (!Array.isArray(sent) || sent.length !== given.length))
    differ("length changed");
  for (const [key, value] of Object.entries(given)) {
    if (key === "$typeName" || value === undefined || value === null) continue;
    // Own keys only: a message's defaults live on its prototype, and `__proto__` is no field.
    const holder = sent as Record<string, unknown>;
    const sentValue = Object.hasOwn(holder, key) || key !== "__proto__" ? holder[key] : undefined;
    const at = `${path}.${key.slice(0, 80)}`;
    if (sentValue === undefined) throw new Error(`${at} was given but not sent`);
    expectGivenWasSent(value, sentValue, at);
  }
}

// Assertions -------------------------------------------------------------------------------------

/**
 * The error is the SDK's InvalidArgumentError naming the offending field: `field` is set, starts at
 * something the caller gave (one of `givenFields`, or `what` itself for the whole input), and the
 * message names it (a very long path by its start) without copying a huge input into itself. A TypeError or RangeError from inside the SDK, or
 * a rejection that does not say which field, fails here.
 */
export function expectNamedRejection(error: unknown, what: string, givenFields: readonly string[]): void {
  if (!(error instanceof InvalidArgumentError)) {
    throw new Error(`expected InvalidArgumentError, got ${inspect(error, { depth: 2 }).slice(0, 2000)}`);
  }
  const field = error.field ?? "";
  expect(field, error.message).not.toBe("");
  // Keys may hold dots themselves, so the field starts with a given key rather than splits into one.
  const blamed = field === what || givenFields.some((k) => field === k || field.startsWith(`${k}.`));
  expect(blamed, `field ${JSON.stringify(field.slice(0, 200))} of "${error.message.slice(0, 300)}"`).toBe(
    true,
  );
  // Long path segments are shortened in the message; its start is always there.
  expect(error.message).toContain(field.slice(0, 48));
  // A rejection explains itself briefly: a huge input is not copied into the message.
  expect(error.message.length, error.message.slice(0, 300)).toBeLessThan(2_048);
}

/** What a call ended with: its value, or the error it threw. */
export async function settle<T>(
  call: () => Promise<T> | T,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The own enumerable string keys of an options object (what `expectNamedRejection` may blame). */
export function keysOf(input: unknown): string[] {
  return typeof input === "object" && input !== null ? Object.keys(input) : [];
}
