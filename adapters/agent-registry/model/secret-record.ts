import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A copy of `values` that prints its keys only: `JSON.stringify` and `util.inspect` (so
 * `console.log` and most loggers) show `"[redacted]"` for every value, while reading a key, spreading
 * or `Object.entries` give the real ones. A plan that holds credentials may then be logged by
 * mistake without leaking them. The helpers are non-enumerable, so a spread copy is a plain record.
 */
export function secretRecord(values: Readonly<Record<string, string>>): Record<string, string> {
  const record: Record<string, string> = { ...values };
  const redacted = () => Object.fromEntries(Object.keys(record).map((key) => [key, REDACTED]));
  Object.defineProperty(record, "toJSON", { value: redacted, enumerable: false });
  Object.defineProperty(record, inspect.custom, {
    value: (_depth: number, options: object) => inspect(redacted(), options),
    enumerable: false,
  });
  return record;
}
