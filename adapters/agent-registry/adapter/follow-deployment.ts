import type { OpenShell } from "openshell";
import type { DeploymentRecord } from "./deployment-record.js";
import { degraded, progressing, ready } from "./deployment-status.js";
import { ProbeTimeout, probeAgent } from "./readiness-probe.js";
import { lastLogLines, monitorSandbox, type SandboxState } from "./sandbox-monitor.js";

/** How the deployed agent is reached and for how long it may take to answer. */
export interface AgentEndpoint {
  port: number;
  protocol: "A2A" | "HTTP";
  /** The path probed: the agent card for A2A, `healthPath` for HTTP. */
  path: string;
  readinessTimeoutMs: number;
}

/**
 * Follows a deployment's sandbox on the watch stream from creation on, for as long as the
 * deployment lives: READY starts the readiness probe (a real request through a forward), whose
 * answer makes the deployment `Ready`; a main process that exits, a sandbox that fails or is
 * deleted, or a gateway that stops answering makes it `Degraded` with the reason. Returns when the
 * record's signal fires (remove, replacement, adapter closed) or the sandbox is deleted.
 */
export async function followDeployment(
  client: OpenShell,
  record: DeploymentRecord,
  agent: AgentEndpoint,
): Promise<void> {
  const signal = record.controller.signal;
  const name = record.sandboxName;
  let probe: AbortController | undefined;
  let answered = false;
  let terminal = false;
  let unreachable = false;

  const startProbe = () => {
    probe = new AbortController();
    const probeSignal = AbortSignal.any([signal, probe.signal]);
    record.update((c) =>
      progressing(
        c,
        "WaitingForAgent",
        `sandbox "${name}" is ready; waiting for the agent to answer on port ${agent.port}`,
      ),
    );
    probeAgent({
      sandbox: client.sandboxes.handle(name),
      port: agent.port,
      protocol: agent.protocol,
      path: agent.path,
      timeoutMs: agent.readinessTimeoutMs,
      signal: probeSignal,
    }).then(
      (answer) => {
        if (probeSignal.aborted) return;
        answered = true;
        const what = answer.card
          ? `A2A agent "${answer.card.name}"`
          : `HTTP ${answer.status} on ${agent.path}`;
        record.update((c) => ready(c, `${what} answers on port ${agent.port} of sandbox "${name}"`));
      },
      (err: unknown) => {
        if (probeSignal.aborted) return;
        const message =
          err instanceof ProbeTimeout
            ? `${err.message}. Check that the agent listens on 0.0.0.0 or 127.0.0.1 port ${agent.port} ` +
              "(runtimeConfig.port) and read its logs; raise runtimeConfig.readinessTimeoutSeconds if it starts slowly"
            : `probing the agent failed: ${err instanceof Error ? err.message : String(err)}`;
        record.update((c) => degraded(c, "ReadinessTimeout", message));
      },
    );
  };

  const onExit = async (state: Extract<SandboxState, { kind: "exited" }>) => {
    const logs = await lastLogLines(client, name);
    const tail = logs === "" ? "" : `; its last log lines:\n${logs}`;
    if (state.completed) {
      record.update((c) =>
        degraded(
          c,
          "MainProcessCompleted",
          `the agent's main process exited with code 0 (it completed instead of serving)${tail}`,
        ),
      );
    } else {
      const code = state.exitCode === undefined ? "an unknown code" : `exit code ${state.exitCode}`;
      record.update((c) =>
        degraded(c, "MainProcessExited", `the agent's main process exited with ${code}${tail}`),
      );
    }
  };

  const onState = (state: SandboxState) => {
    if (terminal && state.kind !== "deleted") return;
    const cameBack = unreachable && state.kind !== "unreachable";
    unreachable = state.kind === "unreachable";
    switch (state.kind) {
      case "pending":
        if (cameBack)
          record.update((c) =>
            progressing(c, "WaitingForSandbox", `waiting for sandbox "${name}" to be ready`),
          );
        return;
      case "ready":
        if (answered)
          record.update((c) => ready(c, `the agent answers on port ${agent.port} of sandbox "${name}"`));
        else if (probe === undefined) startProbe();
        else if (cameBack)
          record.update((c) =>
            progressing(c, "WaitingForAgent", `waiting for the agent to answer on port ${agent.port}`),
          );
        return;
      case "exited":
        terminal = true;
        probe?.abort();
        void onExit(state);
        return;
      case "failed": {
        terminal = true;
        probe?.abort();
        const { reason, message } = state.info;
        const why = [reason, message].filter(Boolean).join(": ") || "no reason given";
        record.update((c) =>
          reason === "ImageNotFound"
            ? degraded(c, "ImageNotFound", `the gateway cannot find the agent's image: ${message ?? reason}`)
            : degraded(c, "SandboxFailed", `sandbox "${name}" failed (${why})`),
        );
        return;
      }
      case "deleted":
        probe?.abort();
        record.update((c) =>
          degraded(
            c,
            "SandboxDeleted",
            `sandbox "${name}" was deleted outside the adapter; apply the deployment again to recreate it`,
          ),
        );
        return;
      case "unreachable":
        record.update((c) =>
          degraded(
            c,
            "GatewayUnreachable",
            `the gateway stopped answering while following sandbox "${name}" (${describe(state.error)}); retrying`,
          ),
        );
        return;
    }
  };

  try {
    await monitorSandbox(client, name, signal, onState);
  } finally {
    probe?.abort();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
