import type { Message, Task, TaskState, TaskStatusUpdateEvent } from "a2a-sdk-v0.3";
import type { AgentExecutor, ExecutionEventBus, RequestContext } from "a2a-sdk-v0.3/server";
import { echoChunks, HeldTasks, HOLD } from "./echo-text.js";

function messageText(message: Message): string {
  return message.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
}

/**
 * The same echo agent on an `@a2a-js/sdk` 0.3 server, as agents deployed before A2A 1.0 run: it
 * answers `message/send`, `message/stream`, `tasks/get` and `tasks/cancel`, and nothing else.
 */
export class EchoExecutorV03 implements AgentExecutor {
  readonly #held = new HeldTasks();

  /** @param log where each message is reported (the image logs to stdout; tests stay quiet). */
  constructor(private readonly log: (line: string) => void = console.log) {}

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, userMessage } = context;
    const text = messageText(userMessage);
    this.log(`echo-agent (0.3): task ${taskId}: ${JSON.stringify(text)}`);
    const status = (state: TaskState, final: boolean): TaskStatusUpdateEvent => ({
      kind: "status-update",
      taskId,
      contextId,
      status: { state, timestamp: new Date().toISOString() },
      final,
    });
    const task: Task = context.task ?? {
      kind: "task",
      id: taskId,
      contextId,
      status: { state: "submitted", timestamp: new Date().toISOString() },
      artifacts: [],
      history: [userMessage],
    };
    bus.publish(task);
    bus.publish(status("working", false));
    if (text === HOLD && (await this.#held.wait(taskId)) === "canceled") {
      bus.publish(status("canceled", true));
      bus.finished();
      return;
    }
    const chunks = echoChunks(text);
    chunks.forEach((chunk, i) => {
      bus.publish({
        kind: "artifact-update",
        taskId,
        contextId,
        artifact: { artifactId: "echo", name: "echo", parts: [{ kind: "text", text: chunk }] },
        append: i > 0,
        lastChunk: i === chunks.length - 1,
      });
    });
    bus.publish(status("completed", true));
    bus.finished();
  }

  async cancelTask(taskId: string, _bus: ExecutionEventBus): Promise<void> {
    this.#held.cancel(taskId);
  }
}
