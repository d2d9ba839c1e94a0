import { randomUUID } from "node:crypto";
import { type Message, Role, type Task } from "@a2a-js/sdk";

/** Options of {@link textMessage}. */
export interface TextMessageOptions {
  /** Continues a conversation: the `contextId` of an earlier reply. */
  contextId?: string;
  /** Continues a task (one that asked for input, say): its `id`. */
  taskId?: string;
  /** Default: a new random UUID. */
  messageId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A user message of one text part, in the shape `@a2a-js/sdk` expects (every field present).
 * `agent.send("hi")` builds one of these; build it yourself to continue a context or a task.
 */
export function textMessage(text: string, options: TextMessageOptions = {}): Message {
  return {
    messageId: options.messageId ?? randomUUID(),
    contextId: options.contextId ?? "",
    taskId: options.taskId ?? "",
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" },
    ],
    metadata: options.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/**
 * The text of a reply's parts, joined: of a Message, or of a Task's artifacts (falling back to its
 * status message). Non-text parts are skipped.
 */
export function replyText(reply: Message | Task): string {
  const texts = (parts: Message["parts"]) =>
    parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : []));
  if ("parts" in reply) return texts(reply.parts).join("");
  const fromArtifacts = reply.artifacts.flatMap((a) => texts(a.parts));
  if (fromArtifacts.length > 0) return fromArtifacts.join("");
  return reply.status?.message ? texts(reply.status.message.parts).join("") : "";
}
