/**
 * The SHA-256 each binary path had when a sandbox first used it for a connection a `binaries` rule
 * decided, as upstream pins them: a later connection through the same path with another hash is
 * denied. Kept per sandbox for the gateway's life (a policy change keeps them), dropped with it.
 */
export class BinaryPins {
  private readonly bySandbox = new Map<string, Map<string, string>>();

  /**
   * Pins `hash` for `path` if the sandbox has none yet; undefined when it matches the pinned one,
   * else the pinned hash it differs from.
   */
  check(sandboxId: string, path: string, hash: string): string | undefined {
    let pins = this.bySandbox.get(sandboxId);
    if (pins === undefined) {
      pins = new Map();
      this.bySandbox.set(sandboxId, pins);
    }
    const pinned = pins.get(path);
    if (pinned === undefined) {
      pins.set(path, hash);
      return undefined;
    }
    return pinned === hash ? undefined : pinned;
  }

  forget(sandboxId: string): void {
    this.bySandbox.delete(sandboxId);
  }
}
