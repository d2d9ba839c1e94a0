import { LineSplitter } from "./line-splitter.js";

/**
 * Parses a stream of JSON documents separated by newlines (the Docker API's pull, build, load and
 * events streams). Lines that are not JSON are handed to `onGarbage` instead of failing the stream:
 * engines interleave the odd plain-text line.
 */
export async function* jsonLines(
  source: AsyncIterable<Buffer | string>,
  onGarbage?: (line: string) => void,
): AsyncGenerator<Record<string, unknown>> {
  const splitter = new LineSplitter();
  for await (const chunk of source) {
    for (const line of splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) {
      const parsed = parseLine(line, onGarbage);
      if (parsed !== undefined) yield parsed;
    }
  }
  const last = splitter.flush();
  if (last !== undefined) {
    const parsed = parseLine(last, onGarbage);
    if (parsed !== undefined) yield parsed;
  }
}

function parseLine(line: string, onGarbage?: (line: string) => void): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (trimmed === "") return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through: not JSON
  }
  onGarbage?.(trimmed);
  return undefined;
}
