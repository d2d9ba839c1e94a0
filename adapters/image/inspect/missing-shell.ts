/**
 * Whether a container start failed because the image has no `/bin/sh` (the probe's entrypoint),
 * which is an answer about the image, not a failure. The OCI runtime says so in words the engines
 * pass on in the start error:
 * - Docker 20.10 (runc): `exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown`;
 * - Podman 4.3 (runc): the same, ending `OCI runtime attempted to invoke a command that was not found`;
 * - crun: ``executable file `/bin/sh` not found in $PATH: No such file or directory``;
 * - Apple `container` (vmexec, in apple/containerization's source): `failed to find target executable /bin/sh`.
 * A dangling `/bin/sh` symlink fails the same way, and is as unusable. Anything else (a wrong
 * architecture, an engine fault) is not this, and is rethrown by the caller.
 */
export function isMissingShellError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return (
    /\/bin\/sh\b[^\n]*(no such file or directory|not found)/i.test(message) ||
    /failed to find target executable \/bin\/sh\b/i.test(message)
  );
}
