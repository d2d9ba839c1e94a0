/**
 * The YAML that sandbox policy files are written in: block mappings and sequences (compact
 * `- key: value` items included), one-line flow collections (`{ host: a, port: 443 }`, `[a, b]`),
 * plain, single- and double-quoted scalars, comments and a leading `---`. Plain scalars read as YAML
 * 1.2's core schema reads them: `true`/`false`, `null`/`~`/empty, decimal integers and floats, the
 * rest strings. What a policy file has no use for (block scalars `|` `>`, anchors, aliases, tags,
 * multi-line flow collections, several documents) is refused with its line, as is a duplicate key.
 *
 * The package has no YAML dependency; this reads the files upstream's own examples are written as.
 */

/** A YAML value as this parser reads it. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** The text is not YAML this parser reads; `line` is 1-based. */
export class YamlError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** Parses one YAML document; an empty one is null. */
export function parseYaml(source: string): YamlValue {
  const lines = toLines(source);
  if (lines.length === 0) return null;
  const reader = { lines, at: 0 };
  const first = lines[0] as Line;
  const value = parseBlock(reader, first.indent);
  const rest = reader.lines[reader.at];
  if (rest !== undefined)
    throw new YamlError(rest.no, "unexpected text after the document (wrong indentation?)");
  return value;
}

function toLines(source: string): Line[] {
  const lines: Line[] = [];
  const raw = source.replace(/^\uFEFF/, "").split(/\r?\n/);
  raw.forEach((text, i) => {
    const no = i + 1;
    const leading = /^[ \t]*/.exec(text)?.[0] ?? "";
    const body = stripComment(text.slice(leading.length), no).trimEnd();
    if (body === "") return;
    if (leading.includes("\t")) throw new YamlError(no, "a tab in indentation (YAML indents with spaces)");
    if (body === "---" && lines.length === 0) return;
    if (body === "---" || body === "...")
      throw new YamlError(no, "a second document (policy files hold one)");
    if (body.startsWith("%")) throw new YamlError(no, "directives are not supported");
    lines.push({ no, indent: leading.length, text: body });
  });
  return lines;
}

/** The text without a `#` comment, which starts at the line's start or after a space, outside quotes. */
function stripComment(text: string, no: number): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (quote === '"' && c === "\\") i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(text[i - 1] as string))) {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1] as string))) {
      return text.slice(0, i);
    }
  }
  if (quote !== undefined)
    throw new YamlError(no, `an unterminated ${quote === '"' ? "double" : "single"}-quoted string`);
  return text;
}

interface Reader {
  lines: Line[];
  at: number;
}

/** The block (mapping, sequence or lone scalar) whose lines are indented exactly `indent`. */
function parseBlock(reader: Reader, indent: number): YamlValue {
  const line = reader.lines[reader.at] as Line;
  if (line.indent !== indent) throw new YamlError(line.no, "wrong indentation");
  if (isSequenceItem(line.text)) return parseSequence(reader, indent);
  if (splitKey(line.text, line.no) !== undefined) return parseMapping(reader, indent);
  reader.at++;
  return parseScalarOrFlow(line.text, line.no);
}

function isSequenceItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

function parseSequence(reader: Reader, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  for (;;) {
    const line = reader.lines[reader.at];
    if (line === undefined || line.indent < indent) return items;
    if (line.indent > indent) throw new YamlError(line.no, "wrong indentation");
    if (!isSequenceItem(line.text)) {
      throw new YamlError(line.no, "a mapping key where a sequence item (- ...) was expected");
    }
    const rest = line.text.slice(1).trimStart();
    if (rest === "") {
      reader.at++;
      items.push(nested(reader, indent));
      continue;
    }
    // `- key: value` and `- - x`: the item is a block starting at the column after the dash.
    const column = line.indent + (line.text.length - rest.length);
    if (isSequenceItem(rest) || splitKey(rest, line.no) !== undefined) {
      reader.lines[reader.at] = { no: line.no, indent: column, text: rest };
      items.push(parseBlock(reader, column));
      continue;
    }
    reader.at++;
    items.push(parseScalarOrFlow(rest, line.no));
  }
}

/** The value of a key or item with nothing after it on its line: the more indented block below, or null. */
function nested(reader: Reader, indent: number, sequenceAtSameIndent = false): YamlValue {
  const next = reader.lines[reader.at];
  if (next === undefined) return null;
  if (next.indent > indent) return parseBlock(reader, next.indent);
  // YAML lets a mapping's sequence value sit at the key's own indentation.
  if (sequenceAtSameIndent && next.indent === indent && isSequenceItem(next.text)) {
    return parseSequence(reader, indent);
  }
  return null;
}

function parseMapping(reader: Reader, indent: number): { [key: string]: YamlValue } {
  const mapping: { [key: string]: YamlValue } = {};
  for (;;) {
    const line = reader.lines[reader.at];
    if (line === undefined || line.indent < indent) return mapping;
    if (line.indent > indent) throw new YamlError(line.no, "wrong indentation");
    const split = splitKey(line.text, line.no);
    if (split === undefined) {
      throw new YamlError(
        line.no,
        isSequenceItem(line.text)
          ? "a sequence item where a mapping key was expected"
          : "a line that is not `key: value`",
      );
    }
    const { key, rest } = split;
    if (Object.hasOwn(mapping, key)) throw new YamlError(line.no, `duplicate key ${JSON.stringify(key)}`);
    reader.at++;
    mapping[key] = rest === "" ? nested(reader, indent, true) : parseScalarOrFlow(rest, line.no);
  }
}

/** `key: rest` (the key plain or quoted), or undefined when the text is no mapping entry. */
function splitKey(text: string, no: number): { key: string; rest: string } | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const { value, end } = quoted(text, 0, no);
    const after = text.slice(end);
    if (!/^:(\s|$)/.test(after)) return undefined;
    return { key: value, rest: after.slice(1).trim() };
  }
  if (/^[[{]/.test(text)) return undefined;
  const match = /^([^#]*?):(?:\s+|$)/.exec(text);
  if (match === null) return undefined;
  const key = (match[1] as string).trim();
  if (key === "" || key.startsWith("? ")) return undefined;
  return { key, rest: text.slice(match[0].length).trim() };
}

function parseScalarOrFlow(text: string, no: number): YamlValue {
  const c = text[0];
  if (c === "|" || c === ">")
    throw new YamlError(no, "block scalars (| and >) are not supported: write the value on one line");
  if (c === "&" || c === "*") throw new YamlError(no, "anchors and aliases are not supported");
  if (c === "!") throw new YamlError(no, "tags are not supported");
  if (c === "[" || c === "{") {
    const flow = { text, at: 0, no };
    const value = parseFlow(flow);
    skipSpaces(flow);
    if (flow.at !== text.length)
      throw new YamlError(no, `unexpected ${JSON.stringify(text.slice(flow.at))} after a flow collection`);
    return value;
  }
  if (c === '"' || c === "'") {
    const { value, end } = quoted(text, 0, no);
    if (text.slice(end).trim() !== "") throw new YamlError(no, "text after a quoted string");
    return value;
  }
  return plain(text);
}

/** A plain scalar, typed as YAML 1.2's core schema types it. */
function plain(text: string): YamlValue {
  if (text === "" || text === "~" || /^(null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** A quoted string starting at `start`; `end` is the index after its closing quote. */
function quoted(text: string, start: number, no: number): { value: string; end: number } {
  const quote = text[start];
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c !== "'") value += c;
      else if (text[i + 1] === "'") {
        value += "'";
        i++;
      } else return { value, end: i + 1 };
      continue;
    }
    if (c === '"') return { value, end: i + 1 };
    if (c !== "\\") {
      value += c;
      continue;
    }
    const e = text[++i];
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      "0": "\0",
      '"': '"',
      "\\": "\\",
      "/": "/",
      " ": " ",
    };
    if (e !== undefined && e in simple) value += simple[e];
    else if (e === "x" || e === "u" || e === "U") {
      const digits = { x: 2, u: 4, U: 8 }[e];
      const hex = text.slice(i + 1, i + 1 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new YamlError(no, `a bad \\${e} escape`);
      value += String.fromCodePoint(Number.parseInt(hex, 16));
      i += digits;
    } else throw new YamlError(no, `an unknown escape \\${e ?? ""}`);
  }
  throw new YamlError(no, "an unterminated quoted string (strings cannot span lines here)");
}

interface Flow {
  text: string;
  at: number;
  no: number;
}

function skipSpaces(flow: Flow): void {
  while (flow.text[flow.at] === " ") flow.at++;
}

function parseFlow(flow: Flow): YamlValue {
  skipSpaces(flow);
  const c = flow.text[flow.at];
  if (c === "[") return flowCollection(flow, "]");
  if (c === "{") return flowCollection(flow, "}");
  if (c === '"' || c === "'") {
    const { value, end } = quoted(flow.text, flow.at, flow.no);
    flow.at = end;
    return value;
  }
  const match = /^[^,[\]{}]*/.exec(flow.text.slice(flow.at)) as RegExpExecArray;
  flow.at += match[0].length;
  return plain(match[0].trim());
}

function flowCollection(flow: Flow, close: "]" | "}"): YamlValue {
  flow.at++;
  const list: YamlValue[] = [];
  const map: { [key: string]: YamlValue } = {};
  for (;;) {
    skipSpaces(flow);
    if (flow.text[flow.at] === close) {
      flow.at++;
      return close === "]" ? list : map;
    }
    if (flow.at >= flow.text.length) {
      throw new YamlError(
        flow.no,
        `a flow collection without its closing ${close} (it must end on its line)`,
      );
    }
    if (close === "]") {
      list.push(parseFlow(flow));
    } else {
      const key = flowKey(flow);
      if (Object.hasOwn(map, key)) throw new YamlError(flow.no, `duplicate key ${JSON.stringify(key)}`);
      skipSpaces(flow);
      if (flow.text[flow.at] === ":") {
        flow.at++;
        map[key] = parseFlow(flow);
      } else map[key] = null;
    }
    skipSpaces(flow);
    if (flow.text[flow.at] === ",") flow.at++;
    else if (flow.text[flow.at] !== close) {
      throw new YamlError(flow.no, `expected "," or "${close}" in a flow collection`);
    }
  }
}

function flowKey(flow: Flow): string {
  const c = flow.text[flow.at];
  if (c === '"' || c === "'") {
    const { value, end } = quoted(flow.text, flow.at, flow.no);
    flow.at = end;
    return value;
  }
  // A plain key ends at ": " (or ":" before a separator), a comma or the closing brace.
  const match = /^(.*?)(?=:(\s|[,}])|:$|[,}])/.exec(flow.text.slice(flow.at));
  if (match === null) throw new YamlError(flow.no, "a flow mapping key without a value");
  flow.at += (match[1] as string).length;
  const key = (match[1] as string).trim();
  if (key === "") throw new YamlError(flow.no, "an empty key in a flow mapping");
  return key;
}
