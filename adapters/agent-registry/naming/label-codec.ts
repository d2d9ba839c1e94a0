import { invalidField } from "../resources/parse.js";
import { base32Decode, base32Encode } from "./base32.js";

/**
 * A label value the gateway stores as is: Kubernetes label-value syntax (letters, digits, `-`, `_`,
 * `.`, starting and ending with a letter or digit), at most 63 characters. That is stricter than
 * the SDK's own label check, so such labels also survive on gateways that put them on pods.
 */
const PLAIN_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_MAX = 63;

/** Longest value (UTF-8 bytes) a label field may hold once encoded: 14 labels of 63 characters. */
export const ENCODED_VALUE_MAX_BYTES = 512;

/** True when `value` can be a label value as it is. */
export function isPlainLabelValue(value: string): boolean {
  return value.length <= VALUE_MAX && PLAIN_VALUE.test(value);
}

/**
 * Writes `value` under `key`: as is when it is a valid label value, else as its UTF-8 bytes in
 * base32, split across `key.0`, `key.1`, ... (63 characters each), so that any registry name (an
 * MCP server's `io.github.acme/weather`, a long or non-ASCII name) is kept exactly and can be read
 * back with {@link readLabelValue}. `field` names the input field in the error for a value longer
 * than {@link ENCODED_VALUE_MAX_BYTES}.
 */
export function writeLabelValue(
  labels: Record<string, string>,
  key: string,
  value: string,
  field: string,
): void {
  if (isPlainLabelValue(value)) {
    labels[key] = value;
    return;
  }
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > ENCODED_VALUE_MAX_BYTES) {
    invalidField(
      field,
      `is ${bytes.length} bytes long; at most ${ENCODED_VALUE_MAX_BYTES} fit in sandbox labels`,
    );
  }
  const encoded = base32Encode(bytes);
  for (let index = 0; index * VALUE_MAX < encoded.length; index += 1) {
    labels[`${key}.${index}`] = encoded.slice(index * VALUE_MAX, (index + 1) * VALUE_MAX);
  }
}

/** Reads what {@link writeLabelValue} wrote under `key`; undefined when absent or not decodable. */
export function readLabelValue(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  const plain = labels[key];
  if (plain !== undefined) return plain;
  let encoded = "";
  for (let index = 0; labels[`${key}.${index}`] !== undefined; index += 1) {
    encoded += labels[`${key}.${index}`];
  }
  if (encoded === "") return undefined;
  const bytes = base32Decode(encoded);
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
