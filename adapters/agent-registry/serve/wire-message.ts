import { Message, Task } from "@a2a-js/sdk";
import { InvalidArgumentError, ProtocolError } from "openshell";

// A2A messages and tasks cross the wire in the protocol's own JSON form (protobuf JSON:
// `{"messageId":"…","role":"ROLE_USER","parts":[{"text":"hi"}]}`), which a caller in another
// language already speaks, not in @a2a-js/sdk's in-memory shape (`content: {$case, value}`).

/** An invoke's `message` as sent: a string, or a Message in A2A JSON. */
export function messageToWire(message: string | Message): unknown {
  return typeof message === "string" ? message : Message.toJSON(message);
}

/** An invoke's `message` as received: a non-empty string, or an A2A JSON Message with parts. */
export function messageFromWire(value: unknown): string | Message {
  if (typeof value === "string" && value !== "") return value;
  const parts = (value as { parts?: unknown } | null | undefined)?.parts;
  if (typeof value === "object" && value !== null && Array.isArray(parts) && parts.length > 0) {
    return Message.fromJSON(value);
  }
  throw new InvalidArgumentError(
    'invalid message: must be a non-empty string or an A2A Message in JSON (e.g. {"messageId":"1","role":"ROLE_USER","parts":[{"text":"hi"}]})',
    { field: "message" },
  );
}

/** An invoke's reply on the wire: `{ "message": … }` or `{ "task": … }`, as A2A's SendMessageResponse. */
export function replyToWire(reply: Message | Task): { message: unknown } | { task: unknown } {
  return "parts" in reply ? { message: Message.toJSON(reply) } : { task: Task.toJSON(reply) };
}

/** The reply of an invoke answer, or a ProtocolError when it holds neither a message nor a task. */
export function replyFromWire(value: unknown): Message | Task {
  const body = value as { message?: unknown; task?: unknown } | null;
  if (typeof body?.message === "object" && body.message !== null) return Message.fromJSON(body.message);
  if (typeof body?.task === "object" && body.task !== null) return Task.fromJSON(body.task);
  throw new ProtocolError(
    "invoke: the adapter service's answer holds neither a message nor a task; check the service's version",
  );
}
