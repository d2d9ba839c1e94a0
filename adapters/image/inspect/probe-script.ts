/**
 * The POSIX `sh` script inspection runs (as root, no network) in a throwaway container of the image.
 *
 * It must work under busybox `ash`, `dash` and `bash` on images that may hold nothing but a shell,
 * so it relies on shell builtins (`read`, `printf`, `test`, `command`) and uses `readlink` only when
 * the image has one. It reports raw facts, one record per line, and leaves every judgement (which
 * `ip` is iproute2's, what flavour `adduser` is) to the parser, where it is unit-tested.
 *
 * Records (fields separated by one tab; the last field takes the rest of the line, tabs included):
 * - `openshell-probe <version>`: first line, so output from something else is not mistaken for it;
 * - `os-release-file <path>` then `os-release <line> <end>` per line of /etc/os-release (else
 *   /usr/lib/os-release);
 * - `passwd <line> <end>`, `group <line> <end>`: /etc/passwd and /etc/group, line by line;
 *   `<end>` is `lf` for a line that ended with a newline, `eof` for a last line without one. A
 *   log reader drops a CR just before a newline, and parsers split at CR LF, so a line's own
 *   trailing CR must never be the record's last byte. From the lines and their ends the parser
 *   puts each file back together as it was, but for NUL bytes (a shell variable cannot hold one:
 *   `read` drops them) and bytes that are not UTF-8 (text the engine's log store decides: Docker
 *   makes each such byte U+FFFD, and a character its 16 KiB cut of a longer line goes through);
 * - `tool <name> <path> <busybox 0|1> <resolved>`: each place a tool was found, in search order;
 *   `busybox` is 1 when the file is busybox itself (same inode after links: symlink or hardlink) or
 *   resolves to a file named busybox; `resolved` is `readlink -f`'s answer, empty without readlink;
 * - `ip-version <path> <line>`: the first line `ip -V` printed (stdout and stderr), for each `ip`;
 * - `shebang <name> <path> <line>`: the `#!` line of an adduser/addgroup that is a script;
 * - `end`: last line; output without it was cut short.
 *
 * Each file's lines carry a record tag, so no file content can pass for a record of its own.
 */

/** The version of the record format above; the parser refuses any other. */
export const PROBE_FORMAT_VERSION = "2";

/** The tools looked for, in the order the parser reports the package manager (first found wins). */
export const PROBED_TOOLS = [
  "apk",
  "apt-get",
  "dnf",
  "microdnf",
  "yum",
  "zypper",
  "ip",
  "nsenter",
  "iptables",
  "nft",
  "bash",
  "useradd",
  "groupadd",
  "adduser",
  "addgroup",
  "busybox",
] as const;

/** A tool the probe looks for. */
export type ProbedTool = (typeof PROBED_TOOLS)[number];

/**
 * Where tools are searched, in this order: explicitly, not through the image's PATH, which may
 * leave out the sbin folders (that is one of the gaps inspection reports).
 */
export const PROBE_SEARCH_DIRS = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
] as const;

// Notes on the shell used below:
// - `emit_file` runs in a subshell: a redirection that fails on a compound command ends a
//   non-interactive POSIX shell, and it must end only that one file's listing, not the probe.
// - `read -r` with an empty IFS keeps each line as it is (blanks, backslashes). It fails at the end
//   of the file, leaving in `line` a last line that had no newline: that one is reported as `eof`.
// - `[ a -ef b ]` (same device and inode, after symlinks) is what finds a busybox hardlink; dash,
//   busybox ash and bash all have it in their `test` builtin.
// - `ip -V` is run with stdin from /dev/null; busybox's applet prints its usage (exit 1) instead.
const SCRIPT_LINES = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "export PATH",
  "LC_ALL=C",
  "export LC_ALL",
  "nl='",
  "'",
  `printf 'openshell-probe\\t%s\\n' '${PROBE_FORMAT_VERSION}'`,
  "emit_file() (",
  '  [ -f "$2" ] && [ -r "$2" ] || exit 0',
  "  while :; do",
  "    if IFS= read -r line; then",
  '      printf \'%s\\t%s\\tlf\\n\' "$1" "$line"',
  "    else",
  '      [ -z "$line" ] || printf \'%s\\t%s\\teof\\n\' "$1" "$line"',
  "      break",
  "    fi",
  '  done < "$2"',
  ")",
  "for f in /etc/os-release /usr/lib/os-release; do",
  '  if [ -f "$f" ] && [ -r "$f" ]; then',
  "    printf 'os-release-file\\t%s\\n' \"$f\"",
  '    emit_file os-release "$f"',
  "    break",
  "  fi",
  "done",
  "emit_file passwd /etc/passwd",
  "emit_file group /etc/group",
  `dirs='${PROBE_SEARCH_DIRS.join(" ")}'`,
  "busyboxes=",
  "for d in $dirs; do",
  '  if [ -f "$d/busybox" ] && [ -x "$d/busybox" ]; then busyboxes="$busyboxes $d/busybox"; fi',
  "done",
  "has_readlink=0",
  "if command -v readlink >/dev/null 2>&1; then has_readlink=1; fi",
  `for t in ${PROBED_TOOLS.join(" ")}; do`,
  "  for d in $dirs; do",
  '    p="$d/$t"',
  '    [ -f "$p" ] && [ -x "$p" ] || continue',
  "    resolved=",
  '    if [ "$has_readlink" = 1 ]; then resolved=$(readlink -f "$p" 2>/dev/null); fi',
  "    bb=0",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  '    case "${resolved##*/}" in busybox*) bb=1 ;; esac',
  "    for b in $busyboxes; do",
  '      if [ "$p" -ef "$b" ]; then bb=1; fi',
  "    done",
  '    printf \'tool\\t%s\\t%s\\t%s\\t%s\\n\' "$t" "$p" "$bb" "$resolved"',
  '    case "$t" in',
  "      ip)",
  '        v=$("$p" -V 2>&1 </dev/null)',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  '        v=${v%%"$nl"*}',
  '        printf \'ip-version\\t%s\\t%s\\n\' "$p" "$v"',
  "        ;;",
  "      adduser | addgroup)",
  "        first=",
  '        [ -r "$p" ] && first=$(IFS= read -r l < "$p"; printf \'%s\' "$l")',
  '        case "$first" in',
  '          \'#!\'*) printf \'shebang\\t%s\\t%s\\t%s\\n\' "$t" "$p" "$first" ;;',
  "        esac",
  "        ;;",
  "    esac",
  "  done",
  "done",
  "printf 'end\\n'",
  "exit 0",
];

/** The probe itself, to run as `/bin/sh -c PROBE_SCRIPT`. */
export const PROBE_SCRIPT = `${SCRIPT_LINES.join("\n")}\n`;
