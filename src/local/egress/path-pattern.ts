import { EgressPolicyError } from "./egress-policy-error.js";

/**
 * L7 rule paths, with upstream's matcher rules: segments split at `/`, case-sensitive; `*` matches
 * within one segment, `?` one character of it, `[a-z]` / `[!a-z]` one from (or not from) a set; a
 * whole-segment `**` matches one or more segments (so `/repos/**` matches `/repos/a/b` but not
 * `/repos`), and next to other characters behaves like `*`. "" and `**` match every path.
 */
export function compilePathPattern(glob: string, field: string): RegExp | undefined {
  if (glob === "" || glob === "**") return undefined;
  if (!glob.startsWith("/")) {
    throw new EgressPolicyError(
      field,
      `path ${JSON.stringify(glob)} must start with "/" (or be "" or "**" for any)`,
    );
  }
  const segments = glob
    .split("/")
    .map((segment) => (segment === "**" ? ".+" : segmentSource(segment, field)));
  return new RegExp(`^${segments.join("/")}$`);
}

function segmentSource(segment: string, field: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charAt(i);
    if (c === "*") {
      while (segment.charAt(i + 1) === "*") i++;
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0)
        throw new EgressPolicyError(field, `path glob has an unclosed "[" in ${JSON.stringify(segment)}`);
      let set = segment.slice(i + 1, end);
      const negated = set.startsWith("!") || set.startsWith("^");
      if (negated) set = set.slice(1);
      // Inside a class only `\`, `]` and `^` are special; `-` keeps its range meaning.
      const body = set.replace(/[\\\]^[]/g, "\\$&");
      out += negated ? `[^/${body}]` : `(?!/)[${body}]`;
      i = end;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return out;
}
