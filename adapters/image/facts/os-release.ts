import type { OsRelease } from "./image-facts.js";

/**
 * Parses `/etc/os-release` (shell-style `KEY=value` lines, values optionally quoted with `"` or
 * `'`, backslash escapes inside double quotes). Unknown keys and malformed lines are ignored, as
 * systemd's own reader does; undefined when the file has no `ID`.
 */
export function parseOsRelease(text: string): OsRelease | undefined {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) continue;
    values.set(match[1] as string, unquote(match[2] as string));
  }
  const id = values.get("ID")?.toLowerCase();
  if (id === undefined || id === "") return undefined;
  return {
    id,
    idLike: (values.get("ID_LIKE") ?? "")
      .toLowerCase()
      .split(/\s+/)
      .filter((part) => part !== ""),
    versionId: values.get("VERSION_ID") ?? "",
    prettyName: values.get("PRETTY_NAME") ?? values.get("NAME") ?? id,
  };
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\([\\"$`])/g, "$1");
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}
