/**
 * `openshell/adapters/a2a`: talk to an A2A agent running in a sandbox, through a port forward (never
 * a published port), with the official `@a2a-js/sdk` client. Speaks A2A 1.0 and 0.3.
 *
 * ```ts
 * import { OpenShell } from "openshell";
 * import { connectAgent, replyText } from "openshell/adapters/a2a";
 * const sandbox = await os.sandboxes.get("my-agent");
 * await using agent = await connectAgent(sandbox, { port: 8080 });
 * console.log(replyText(await agent.send("hello")));
 * ```
 *
 * @packageDocumentation
 */

export type { AgentCard, Message, Part, StreamResponse, Task } from "@a2a-js/sdk";
export type { AgentCallOptions, AgentConnection } from "./agent-connection.js";
export { type ConnectAgentOptions, connectAgent } from "./connect-agent.js";
export { AgentCallError, AgentCardError, type AgentCardProblem, AgentUnreachableError } from "./errors.js";
export { replyText, type TextMessageOptions, textMessage } from "./text-message.js";
