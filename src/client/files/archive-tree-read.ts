import { ARCHIVE_MIN_BYTES } from "./archive-read.js";
import type { FileFailureContext } from "./files-errors.js";
import type { FilesTarget, TransferOptions } from "./files-target.js";
import { afterMarker, BEGIN } from "./output-start.js";
import { readTarStream } from "./read-file.js";
import { scriptOutput } from "./script-run.js";
import { scriptCommand, tarScript } from "./shell-scripts.js";
import { encodeHeader } from "./tar-header.js";

const DECIDED = "archive:";

/**
 * args: directory, the exec path's tar script, the least size in KiB. Run as the sandbox's user.
 * A directory of at least that size whose every entry this user may read (directories also enter)
 * is answered with `archive:<mode> <mtime> <real path>`: the engine reads as root, so this user's
 * rights are checked here, and the real path (no symlink in it) is what the engine is asked for.
 * Anything else, or an image without `find`, `du` or `stat`, runs the tar script itself.
 */
export const decideTreeScript = `p=$1
if [ -d "$p" ] && command -v find >/dev/null 2>&1 && command -v du >/dev/null 2>&1 && command -v stat >/dev/null 2>&1; then
  if r=$(cd -P -- "$p" 2>/dev/null && pwd -P) && k=$(du -sk -- "$r" 2>/dev/null); then
    k=\${k%%[!0-9]*}
    if [ -n "$k" ] && [ "$k" -ge "$3" ]; then
      bad=$(find "$r" ! -type l -exec sh -c 'for f; do [ -r "$f" ] || { echo x; exit 0; }; [ ! -d "$f" ] || [ -x "$f" ] || { echo x; exit 0; }; done' sh {} + 2>&1)
      if [ -z "$bad" ] && a=$(stat -c '%a %Y' -- "$r"); then printf '${BEGIN.trimEnd()}\\n${DECIDED}%s %s\\n' "$a" "$r"; exit 0; fi
    fi
  fi
fi
exec sh -c "$2" sh "$1"`;

/**
 * The tar stream of a sandbox directory's contents, for `download`: in local mode through the
 * engine's archive API when the tree is at least ARCHIVE_MIN_BYTES, readable by the sandbox's
 * user, and one the engine sees whole; otherwise (and on other gateways) the exec path's `tar -c`,
 * which the deciding exec runs itself, so a smaller tree costs no extra exec. Either stream holds
 * the contents as `./name` entries (or `name`), symlinks as links; `unpackTree` takes both.
 * `reuseChunks`: the caller is done with each chunk when it asks for the next (`unpackTree`'s
 * ByteReader copies what it keeps), so the engine's answer may be read into reused memory.
 */
export async function* treeTarStream(
  target: FilesTarget,
  path: string,
  options: TransferOptions & { operation: string; reuseChunks?: boolean | undefined },
): AsyncGenerator<Uint8Array, void, undefined> {
  const archive = target.archive;
  if (archive === undefined) {
    yield* readTarStream(target, path, options);
    return;
  }
  const { signal } = options;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  const events = target.execStream(
    scriptCommand(decideTreeScript, [path, tarScript, String(ARCHIVE_MIN_BYTES / 1024)]),
    { noLoginShell: true, ...(signal ? { signal } : {}) },
  );
  // A tar stream starts with an entry's name (`./`), never with DECIDED.
  let head = Buffer.alloc(0);
  let decided: boolean | undefined;
  for await (const chunk of afterMarker(scriptOutput(events, context), BEGIN)) {
    if (decided === false) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (decided === undefined && head.length >= DECIDED.length) {
      decided = head.subarray(0, DECIDED.length).toString("latin1") === DECIDED;
      if (!decided) {
        yield head;
        head = Buffer.alloc(0);
      }
    }
  }
  if (decided === false) return;
  if (decided === undefined) {
    // Shorter than DECIDED: not a decision (a tar stream is never this short), so pass it on.
    if (head.length > 0) yield head;
    return;
  }
  const line = head.toString("utf8").slice(DECIDED.length).replace(/\n$/, "");
  const [mode = "", mtime = "", ...rest] = line.split(" ");
  const real = rest.join(" ");
  const access = await archive.open(signal);
  const rootMode = Number.parseInt(mode, 8);
  const rootMtime = Number(mtime);
  let stream: AsyncIterable<Uint8Array> | undefined;
  if (access?.readsTree(real) && Number.isSafeInteger(rootMode) && Number.isFinite(rootMtime)) {
    try {
      stream = await access.get(
        real === "/" ? "/." : `${real}/.`,
        signal,
        options.reuseChunks ? { reuseBuffers: true } : undefined,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      // Gone or changed since the check: the exec path says what it is now.
    }
  }
  if (stream === undefined) {
    yield* readTarStream(target, path, options);
    return;
  }
  // The root's own entry first: Docker's archive of `dir/.` holds one (`./`), Podman's does not,
  // and the exec path's `tar -c -C dir .` does, which gives the local root its mode and mtime.
  yield encodeHeader({
    name: "./",
    mode: rootMode,
    size: 0,
    mtime: rootMtime,
    type: "directory",
    linkname: "",
  });
  yield* stream;
}
