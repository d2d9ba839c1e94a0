/**
 * The echo agent's image, made by scripts/engines.sh (ensure_a2a_agent_image): Debian's Node.js,
 * user sandbox, the agent bundled at /app/echo-agent.mjs. An OpenShell sandbox does not run the
 * image's CMD, so a sandbox gives {@link echoAgentCommand} as its command.
 */
export const a2aAgentImage = process.env.OPENSHELL_TEST_A2A_AGENT_IMAGE ?? "openshell-test/a2a-agent:1";

/** The agent's command: A2A `protocol` on 0.0.0.0:`port`, its card naming http://localhost:`port`/. */
export function echoAgentCommand(port = 8080, protocol: "1.0" | "0.3" | "both" = "1.0"): string[] {
  return ["node", "/app/echo-agent.mjs", "--port", String(port), "--protocol", protocol];
}
