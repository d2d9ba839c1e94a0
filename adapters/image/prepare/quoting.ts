/**
 * Quoting for what a prepared image's Dockerfile interpolates. Everything that reaches a `RUN`
 * line or an `ENV` value passes through one of these, so a hostile image (a tool at a path with
 * a quote in it, a PATH holding `$(...)`) cannot inject a command into the build.
 */

/** Characters a POSIX shell word may hold unquoted without any of them meaning anything. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One POSIX shell word: the value itself when it is made of harmless characters (so the common
 * case stays readable), else single-quoted with embedded quotes spliced in as `'\''`.
 */
export function shellQuote(value: string): string {
  if (value !== "" && SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A Dockerfile `ENV` value in double quotes. The builders (Docker's and Buildah's, both on the same
 * word lexer) expand `$NAME` inside `ENV` and treat `\` as the escape character, so `\`, `"` and
 * `$` are escaped to stay literal. A line break cannot be expressed at all: the caller refuses it.
 */
export function dockerfileQuote(value: string): string {
  return `"${value.replace(/[\\"$]/g, (char) => `\\${char}`)}"`;
}

/** True when the value would end a Dockerfile line early (and so cannot be interpolated at all). */
export function hasLineBreak(value: string): boolean {
  return /[\r\n]/.test(value);
}
