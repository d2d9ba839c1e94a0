/**
 * The shell scripts file operations run in the sandbox with `sh -c`. Paths and values arrive as
 * positional arguments, never spliced into the script, so no name needs quoting. Only POSIX sh and
 * the tools each script names with `need` are used: busybox, coreutils and GNU tar all qualify.
 *
 * A script that refuses prints one `openshell-files:<kind>[:<detail>]` line on stderr and exits 90;
 * a tool that fails prints its own errno text (the SDK classifies it) and the script exits 91.
 * Every script first prints the BEGIN line on stdout (output-start.ts): what comes before it is a
 * login shell's, on gateways that run every exec through one.
 */
const prelude = [
  "printf 'openshell-files:begin\\n'",
  "fail() { printf 'openshell-files:%s\\n' \"$1\" >&2; exit 90; }",
  'need() { for _tool; do command -v "$_tool" >/dev/null 2>&1 || fail "missing-tool:$_tool"; done; }',
].join("\n");

function script(body: string): string {
  return `${prelude}\n${body}`;
}

/**
 * The argv that runs one of these scripts with its arguments. `$0` is `sh`, which the shell's own
 * messages start with (never the marker prefix, or they would be taken for markers).
 */
export function scriptCommand(body: string, args: string[]): string[] {
  return ["sh", "-c", body, "sh", ...args];
}

/**
 * args: path. On stdout a `size:<bytes>` line (empty without stat; the progress total), then the
 * file's bytes.
 */
export const readScript = script(`p=$1
need cat
[ -e "$p" ] || fail not-found
[ -d "$p" ] && fail is-a-directory
s=$(stat -L -c %s -- "$p" 2>/dev/null) || s=
printf 'size:%s\\n' "$s"
exec cat -- "$p"`);

/**
 * The checksum tools a write's confirm uses, fastest first: the sandbox's own CPU hashes the whole
 * file after the last byte arrived, and busybox's md5sum runs about three times as fast as its
 * sha256sum (0.63 against 2.07 s for 256 MiB here). The checksum guards against bytes lost or
 * changed on the way, not against a sandbox that lies (it computes its own), so MD5 serves.
 */
export const CHECKSUM_TOOLS = ["md5sum", "sha256sum"] as const;

/** A checksum tool of {@link CHECKSUM_TOOLS}. */
export type ChecksumTool = (typeof CHECKSUM_TOOLS)[number];

/**
 * args: path, temporary. Prints "openshell-files:ready:<tool>" once its checks passed, then copies
 * stdin into the temporary (beside the path, same filesystem, so the commit's rename is atomic).
 * The temporary is created before "ready", so a path it cannot be created at (read-only, no
 * permission) is refused with the shell's errno text before any data is sent. `<tool>` is the
 * checksum tool the commit will run (see {@link CHECKSUM_TOOLS}), empty when the image has none, so
 * the SDK hashes what it sends the same way.
 */
export const receiveScript = script(`p=$1 t=$2
need cat
d=\${p%/*}; d=\${d:-/}
[ -d "$d" ] || { [ -e "$d" ] && fail parent-not-directory; fail parent-missing; }
[ -d "$p" ] && fail is-a-directory
true >"$t" || exit 91
c=
for _c in ${CHECKSUM_TOOLS.join(" ")}; do command -v "$_c" >/dev/null 2>&1 && { c=$_c; break; }; done
echo "openshell-files:ready:$c"
cat >"$t" || { rm -f -- "$t"; exit 91; }`);

/**
 * args: path, temporary. The first step of a write through the engine's archive API: the receive
 * script's checks, and its empty temporary made as the sandbox's user (so every refusal is the
 * exec path's), without reading any data. Prints one line: the checksum tool (as the receive
 * script's ready line, "-" for none), then the temporary's uid and gid (what the engine must give
 * the data's entry; a setgid directory's group included), "- -" when neither stat nor id can say.
 */
export const claimScript = script(`p=$1 t=$2
d=\${p%/*}; d=\${d:-/}
[ -d "$d" ] || { [ -e "$d" ] && fail parent-not-directory; fail parent-missing; }
[ -d "$p" ] && fail is-a-directory
true >"$t" || exit 91
c=-
for _c in ${CHECKSUM_TOOLS.join(" ")}; do command -v "$_c" >/dev/null 2>&1 && { c=$_c; break; }; done
o=$(stat -c '%u %g' -- "$t" 2>/dev/null) || o="$(id -u 2>/dev/null) $(id -g 2>/dev/null)" || o=
[ "$o" = " " ] && o=
printf '%s %s\\n' "$c" "\${o:-- -}"`);

/**
 * args: temporary, path, size, checksum (hex or empty), mode (octal or empty). Checks the
 * temporary's size, and its checksum with the tool the checksum's length names (32 hex digits
 * `md5sum`, 64 `sha256sum`) when the image has that tool, then sets its mode and renames it into
 * place; any mismatch removes it. Prints what was verified: "md5", "sha256" or "size".
 */
export const commitScript = script(`t=$1 p=$2 n=$3 h=$4 m=$5
need mv
[ -f "$t" ] || fail temporary-missing
if command -v stat >/dev/null 2>&1; then s=$(stat -c %s -- "$t"); else need wc; s=$(wc -c < "$t"); fi
s=$((s))
[ "$s" = "$n" ] || { rm -f -- "$t"; fail "size-mismatch:$s"; }
v=size
case \${#h} in 32) c=md5sum ;; 64) c=sha256sum ;; *) c= ;; esac
if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
  set -- $("$c" < "$t")
  [ "$1" = "$h" ] || { rm -f -- "$t"; fail "checksum-mismatch:$1"; }
  v=\${c%sum}
fi
if [ -n "$m" ]; then need chmod; chmod "$m" "$t" || { rm -f -- "$t"; exit 91; }; fi
[ -d "$p" ] && { rm -f -- "$t"; fail is-a-directory; }
mv -f -- "$t" "$p" || { rm -f -- "$t"; exit 91; }
printf '%s\\n' "$v"`);

/** args: path. Removes a temporary (file or directory) after a failed or cancelled transfer. */
export const discardScript = script(`rm -rf -- "$1"`);

/**
 * args: path, name-to-print. One \`stat\` line ("rawmode-hex size mtime"), then the name and a NUL:
 * names may hold newlines but never NUL. Symlinks are described, not followed.
 */
const entryFunction = `one() { stat -c '%f %s %Y' -- "$1" || exit 91; printf '%s\\0' "$2"; }`;

/** args: path. The path's own entry. */
export const statScript = script(`p=$1
need stat
[ -e "$p" ] || [ -L "$p" ] || fail not-found
${entryFunction}
one "$p" "\${p##*/}"`);

/** args: directory. One entry per child, dot files included. */
export const listScript = script(`p=$1
need stat
[ -e "$p" ] || [ -L "$p" ] || fail not-found
[ -d "$p" ] || fail not-a-directory
${entryFunction}
for f in "$p"/* "$p"/.[!.]* "$p"/..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  one "$f" "\${f##*/}"
done`);

/** args: path. Prints "yes" or "no"; needs nothing but sh. */
export const existsScript = script(`if [ -e "$1" ] || [ -L "$1" ]; then echo yes; else echo no; fi`);

/** args: path, "1" for parents. A directory that already exists is fine. */
export const mkdirScript = script(`p=$1 r=$2
[ -d "$p" ] && exit 0
[ -e "$p" ] || [ -L "$p" ] && fail exists-not-directory
need mkdir
if [ "$r" = 1 ]; then mkdir -p -- "$p" || exit 91; else mkdir -- "$p" || exit 91; fi`);

/** args: path, "1" for recursive, "1" for force (a missing path is fine). */
export const removeScript = script(`p=$1 r=$2 f=$3
[ -e "$p" ] || [ -L "$p" ] || { [ "$f" = 1 ] && exit 0; fail not-found; }
if [ -d "$p" ] && [ ! -L "$p" ]; then
  if [ "$r" = 1 ]; then need rm; rm -rf -- "$p" || exit 91
  else need rmdir; rmdir -- "$p" || exit 91; fi
else need rm; rm -f -- "$p" || exit 91; fi`);

/**
 * args: destination, temporary directory. Prints "openshell-files:ready", then unpacks a tar stream
 * from stdin into the temporary.
 */
export const untarScript = script(`p=$1 t=$2
need tar mkdir
[ -e "$p" ] && [ ! -d "$p" ] && fail exists-not-directory
mkdir -p -- "$t" || exit 91
echo openshell-files:ready
tar -x -o -f - -C "$t" || { rm -rf -- "$t"; exit 91; }
exit 0`);

/**
 * args: destination, temporary directory. Moves the unpacked tree into place: the whole directory
 * when the destination is new, else each top-level entry (replacing one of the same name).
 */
export const placeTreeScript = script(`p=$1 t=$2
need mv rm
if [ ! -e "$p" ]; then mv -- "$t" "$p" || exit 91; exit 0; fi
for e in "$t"/* "$t"/.[!.]* "$t"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  n=\${e##*/}
  { rm -rf -- "$p/$n" && mv -- "$e" "$p/$n"; } || exit 91
done
rm -rf -- "$t"`);

/**
 * args: directory. A tar stream of its contents on stdout; symlinks are stored as links, never
 * followed.
 */
export const tarScript = script(`p=$1
need tar
[ -e "$p" ] || fail not-found
[ -d "$p" ] || fail not-a-directory
exec tar -c -f - -C "$p" .`);

/** args: path. "file", "directory" or "missing", following symlinks (what a download would read). */
export const kindScript = script(
  `if [ -d "$1" ]; then echo directory; elif [ -e "$1" ]; then echo file; else echo missing; fi`,
);
