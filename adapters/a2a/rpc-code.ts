/**
 * The JSON-RPC error code an SDK error carries: on the error itself (`envelopeCode`), or on its
 * cause for errors that arrived inside an SSE stream.
 */
export function rpcCodeOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 3; depth++) {
    const code = (e as { envelopeCode?: unknown }).envelopeCode;
    if (typeof code === "number") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
