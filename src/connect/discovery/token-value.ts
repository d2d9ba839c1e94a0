import { GatewayConfigError } from "../../errors.js";

/** What an HTTP header value may carry of a token: visible ASCII, no spaces or line breaks. */
const headerSafe = /^[\x21-\x7E]+$/;

/**
 * Refuses, at connect time, a token that no request could carry: a character outside visible
 * ASCII (a stray NUL, a line break inside it, a non-ASCII letter) makes every call fail inside
 * Node's HTTP/2 headers with an error that names neither the token nor its file. The message never
 * quotes the token.
 *
 * @param source the file or option the token came from.
 */
export function checkTokenValue(token: string, source: string): string {
  if (headerSafe.test(token)) return token;
  throw new GatewayConfigError(
    `the token in ${source} has characters a request header cannot carry (only visible ASCII, no spaces or line breaks); ` +
      "log in again with the openshell CLI, or pass a valid token.",
    { source },
  );
}
