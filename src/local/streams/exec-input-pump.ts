import type { Writable } from "node:stream";
import type { ConnectError } from "@connectrpc/connect";
import type { ExecSandboxInput } from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument } from "../protocol/gateway-errors.js";

/** Where an interactive exec's client frames go; each gateway runs the command its own way. */
export interface ExecInput {
  /** The command's stdin. */
  stdin: Writable | null | undefined;
  /** A resize frame, as the client sent it (sizes of 0 included: what they mean is the gateway's call). */
  resize(size: { cols: number; rows: number }): Promise<void> | void;
  /** The client broke the protocol (a second start): fail the output with `error` and end the command. */
  reject(error: ConnectError): void;
}

/**
 * Feeds an ExecSandboxInteractive call's input to the command in the background, while the handler
 * streams the output: the start frame's stdin first, then stdin frames (with the pipe's backpressure)
 * and resizes in order. An empty stdin frame or the client's half-close ends the command's stdin.
 *
 * @param frames the call's frames after the start frame (see openingFrame).
 */
export function pumpExecInput(
  startStdin: Uint8Array,
  frames: AsyncIterator<ExecSandboxInput>,
  input: ExecInput,
): void {
  const { stdin } = input;
  if (startStdin.length > 0) stdin?.write(Buffer.from(startStdin));
  void (async () => {
    try {
      for (let next = await frames.next(); !next.done; next = await frames.next()) {
        const frame = next.value;
        if (frame.payload.case === "stdin") {
          if (frame.payload.value.length === 0) stdin?.end();
          else if (stdin?.writable && !stdin.write(Buffer.from(frame.payload.value))) {
            await new Promise((resolve) => stdin.once("drain", resolve));
          }
        } else if (frame.payload.case === "resize") {
          const { cols, rows } = frame.payload.value;
          await input.resize({ cols, rows });
        } else if (frame.payload.case === "start") {
          input.reject(invalidArgument("start may only be sent once, as the first frame"));
          return;
        }
      }
    } catch {
      // The request stream broke (client gone); the output side notices through the call's signal.
    }
    stdin?.end();
  })();
}
