/**
 * JSON as the Apple `container` CLI's Swift `JSONEncoder` writes it: `/` escaped as `\/` (Swift's
 * default), keys sorted from 1.0.0 on (`.sortedKeys`), and `inspect` pretty-printed from 1.0.0 on
 * with Swift's `"key" : value` spacing and two-space indents. Keys left `undefined` are left out, as
 * Swift leaves out nil optionals.
 */
export interface SwiftJsonOptions {
  pretty: boolean;
  sortKeys: boolean;
}

function escapeString(text: string): string {
  return JSON.stringify(text).replace(/\//g, "\\/");
}

function entriesOf(value: Record<string, unknown>, sortKeys: boolean): [string, unknown][] {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return sortKeys ? entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
}

function encode(value: unknown, options: SwiftJsonOptions, indent: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return escapeString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((item) => encode(item, options, inner));
    return options.pretty ? `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]` : `[${items.join(",")}]`;
  }
  const entries = entriesOf(value as Record<string, unknown>, options.sortKeys);
  if (entries.length === 0) return "{}";
  const fields = entries.map(
    ([key, v]) => `${escapeString(key)}${options.pretty ? " : " : ":"}${encode(v, options, inner)}`,
  );
  return options.pretty ? `{\n${inner}${fields.join(`,\n${inner}`)}\n${indent}}` : `{${fields.join(",")}}`;
}

/** `value` as the CLI prints it (without the trailing newline `print` adds). */
export function swiftJson(value: unknown, options: SwiftJsonOptions): string {
  return encode(value, options, "");
}

/** Apple's reference date, 2001-01-01T00:00:00Z, which Swift's default date strategy counts from. */
const APPLE_REFERENCE_DATE_MS = Date.UTC(2001, 0, 1);

/**
 * A date as each JSON generation encodes it: seconds since 2001-01-01 (a number) before 1.0.0,
 * ISO 8601 without fractional seconds (Swift's `.iso8601` strategy) from 1.0.0 on.
 */
export function swiftDate(date: Date, modern: boolean): string | number {
  if (modern) return `${date.toISOString().slice(0, 19)}Z`;
  return (date.getTime() - APPLE_REFERENCE_DATE_MS) / 1000;
}
