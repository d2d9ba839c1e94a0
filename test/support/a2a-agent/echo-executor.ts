import { type Message, type Part, type Task, TaskState } from "@a2a-js/sdk";
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from "@a2a-js/sdk/server";
import { echoChunks, HeldTasks, HOLD } from "./echo-text.js";

const textPart = (value: string): Part => ({
  content: { $case: "text", value },
  metadata: undefined,
  filename: "",
  mediaType: "text/plain",
});

function messageText(message: Message): string {
  return message.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");
}

/**
 * An A2A 1.0 agent (`@a2a-js/sdk` 1.x server) that answers every message with a task whose artifact
 * is `echo: <text>`, streamed in three chunks. The message "hold" keeps its task working until it is
 * canceled.
 */
export class EchoExecutor implements AgentExecutor {
  readonly #held = new HeldTasks();

  /** @param log where each message is reported (the image logs to stdout; tests stay quiet). */
  constructor(private readonly log: (line: string) => void = console.log) {}

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, userMessage } = context;
    const text = messageText(userMessage);
    this.log(`echo-agent: task ${taskId}: ${JSON.stringify(text)}`);
    const status = (state: TaskState) =>
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: { state, message: undefined, timestamp: new Date().toISOString() },
        metadata: undefined,
      });
    const task: Task = context.task ?? {
      id: taskId,
      contextId,
      status: {
        state: TaskState.TASK_STATE_SUBMITTED,
        message: undefined,
        timestamp: new Date().toISOString(),
      },
      artifacts: [],
      history: [userMessage],
      metadata: undefined,
    };
    bus.publish(AgentEvent.task(task));
    bus.publish(status(TaskState.TASK_STATE_WORKING));
    if (text === HOLD && (await this.#held.wait(taskId)) === "canceled") {
      bus.publish(status(TaskState.TASK_STATE_CANCELED));
      return;
    }
    const chunks = echoChunks(text);
    chunks.forEach((chunk, i) => {
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: "echo",
            name: "echo",
            description: "",
            parts: [textPart(chunk)],
            metadata: undefined,
            extensions: [],
          },
          append: i > 0,
          lastChunk: i === chunks.length - 1,
          metadata: undefined,
        }),
      );
    });
    bus.publish(status(TaskState.TASK_STATE_COMPLETED));
  }

  async cancelTask(taskId: string, _bus: ExecutionEventBus): Promise<void> {
    this.#held.cancel(taskId);
  }
}
