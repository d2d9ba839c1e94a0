import { invalidArgument } from "../protocol/gateway-errors.js";

/** A client-stream message whose body is one protobuf oneof named `payload`. */
interface OneofFrame {
  payload: { case: string | undefined; value?: unknown };
}

type CaseOf<F extends OneofFrame> = NonNullable<F["payload"]["case"]>;
type ValueOf<F extends OneofFrame, K extends CaseOf<F>> = Extract<F["payload"], { case: K }>["value"];

/**
 * Reads the frame a bidirectional call must open with (ForwardTcp's `init`, ExecSandboxInteractive's
 * `start`) and hands back the rest of the stream, so the caller goes on from the same iterator.
 *
 * @param what the message's name in the error, e.g. "TcpForwardFrame".
 * @throws ConnectError INVALID_ARGUMENT "the first <what> must be <expected>" when the stream is empty
 *   or opens with anything else.
 */
export async function openingFrame<F extends OneofFrame, K extends CaseOf<F>>(
  frames: AsyncIterable<F>,
  expected: K,
  what: string,
): Promise<{ value: ValueOf<F, K>; rest: AsyncIterator<F> }> {
  const rest = frames[Symbol.asyncIterator]();
  const first = await rest.next();
  if (first.done || first.value.payload.case !== expected) {
    throw invalidArgument(`the first ${what} must be ${expected}`);
  }
  return { value: first.value.payload.value as ValueOf<F, K>, rest };
}
