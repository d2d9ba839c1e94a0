import { LineCounter, parseDocument } from "yaml";

/**
 * The YAML sandbox policy files are written in, read with the `yaml` package as YAML 1.2's core
 * schema (upstream reads them with a YAML 1.2 reader too): `true`/`false`, `null`/`~`/empty,
 * integers (`0x`/`0o` included) and floats are typed, the rest are strings. Anchors and aliases
 * resolve (a bounded number, so a file cannot blow up into gigabytes); a duplicate key, an unknown
 * tag, several documents or any other error or warning of the parser is refused with its line.
 */

/** A YAML value as policy files hold them. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** The text is not YAML a policy file may be; `line` is 1-based. */
export class YamlError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

/** How many alias expansions a file may make: far more than a policy needs, far fewer than an attack. */
const MAX_ALIASES = 100;

/** Parses one YAML document; an empty one is null. */
export function parseYaml(source: string): YamlValue {
  const lines = new LineCounter();
  const document = parseDocument(source, {
    lineCounter: lines,
    schema: "core",
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) {
    throw new YamlError(lines.linePos(problem.pos[0]).line, problem.message.replace(/\s+/g, " ").trim());
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIASES }) as YamlValue;
  } catch (error) {
    // Too many alias expansions (the only thing toJS refuses once parsing succeeded).
    throw new YamlError(1, (error as Error).message);
  }
}
