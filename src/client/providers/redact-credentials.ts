import { inspect } from "node:util";
import { OpenShellError } from "../../errors.js";

const placeholder = "[redacted]";

/** Values this short occur inside ordinary words; they are redacted only as whole tokens. */
const shortValueLength = 4;

/**
 * Removes credential values from an error about a call that carried them. The gateway builds its
 * messages itself and may quote a rejected value; the SDK's promise is that no secret ever appears
 * in an error, so every occurrence is replaced, and a cause that quotes one (the raw ConnectError,
 * which `util.inspect` would print) is dropped.
 */
export function redactCredentials(err: unknown, values: Iterable<string>): unknown {
  if (!(err instanceof OpenShellError)) return err;
  const secrets = [...new Set(values)].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return err;
  const scrub = (text: string) => secrets.reduce((out, secret) => replaceSecret(out, secret), text);
  const message = scrub(err.message);
  const causeLeaks = leaks(err.cause, scrub);
  if (message !== err.message) err.message = message;
  if (typeof err.stack === "string") err.stack = scrub(err.stack);
  if (causeLeaks) {
    // The cause is the gateway's raw error; with a secret in it, it cannot be kept for debugging.
    Object.defineProperty(err, "cause", {
      value: undefined,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return err;
}

function replaceSecret(text: string, secret: string): string {
  if (secret.length >= shortValueLength) return text.split(secret).join(placeholder);
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, "g"), placeholder);
}

/**
 * True when the cause, printed the way `util.inspect` prints it (message, stack, gRPC details and
 * metadata, nested causes), still quotes a secret.
 */
function leaks(cause: unknown, scrub: (text: string) => string): boolean {
  if (cause === undefined || cause === null) return false;
  const printed = inspect(cause, { depth: 8, breakLength: Number.POSITIVE_INFINITY });
  return scrub(printed) !== printed;
}
