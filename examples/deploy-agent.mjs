// Deploy an A2A agent the way an agent registry does, on local mode, and talk to it: the registry's
// Deployment, Agent and Runtime go to OpenShellDeploymentAdapter.apply, which answers at once
// (Progressing) and converges in the background; its watch shows each condition change until the
// agent really answers (Ready). Then a message through adapter.invoke, a streamed one through
// connectAgent on the deployment's sandbox, its last log lines, and removal. Ctrl-C cancels at any
// point and removes the deployment.
//
//   node examples/deploy-agent.mjs [IMAGE]
//
// IMAGE must be in the local engine (Docker, Podman or Apple `container`) and run an A2A agent on
// port 8080 with its own CMD; the default is the echo agent that `bash scripts/engines.sh` (and
// `bash scripts/demo.sh`) make, openshell-test/a2a-agent:1. The runtime comes from
// OPENSHELL_RUNTIME (default: detection).
import { randomUUID } from "node:crypto";
import { OpenShell } from "openshell";
import { connectAgent, replyText } from "openshell/adapters/a2a";
import { isDegraded, isReady, OpenShellDeploymentAdapter } from "openshell/adapters/agent-registry";

const image = process.argv[2] ?? process.env.OPENSHELL_TEST_A2A_AGENT_IMAGE ?? "openshell-test/a2a-agent:1";

const controller = new AbortController();
const { signal } = controller;
// The first Ctrl-C cancels and cleans up; a second one (the default handler again) quits at once.
process.once("SIGINT", () => {
  console.log("\nCtrl-C: canceling and removing the deployment");
  controller.abort();
});

// Times are from the moment apply was called.
let started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s`;

// The registry's JSON, as it hands it to a deployment adapter. A fixed name: a run killed before it
// could clean up is replaced by the next run (the sandbox is found by the deployment's labels).
const deployment = {
  apiVersion: "ar.dev/v1alpha1",
  kind: "Deployment",
  metadata: { name: "echo-example", namespace: "examples", uid: randomUUID() },
  spec: {
    targetRef: { kind: "Agent", name: "echo", tag: "1.0.0" },
    runtimeRef: { kind: "Runtime", name: "openshell-local" },
    desiredState: "deployed",
    // No command: the adapter runs the image's own entrypoint and CMD, read from the local engine.
    runtimeConfig: { port: 8080 },
  },
};
const agent = {
  apiVersion: "ar.dev/v1alpha1",
  kind: "Agent",
  metadata: { name: "echo", namespace: "examples", tag: "1.0.0" },
  spec: { source: { image, protocol: "A2A" } },
};
const runtime = {
  apiVersion: "ar.dev/v1alpha1",
  kind: "Runtime",
  metadata: { name: "openshell-local" },
  spec: { type: "OpenShell", config: { gateway: "local" } },
};

/** The condition that says the most (the one that is True, else Ready) as `Type=Status Reason: message`. */
function describe(conditions) {
  const c = conditions.find((x) => x.status === "True") ?? conditions.find((x) => x.type === "Ready");
  return c ? `${c.type}=${c.status} ${c.reason}: ${c.message}` : "no conditions";
}

// Not ephemeral: a deployment outlives the process that made it, as a registry's do; this script
// removes its own at the end, and a later OpenShell.local() takes over anything left.
const os = await OpenShell.local({ runtime: process.env.OPENSHELL_RUNTIME ?? "auto" });
const adapter = new OpenShellDeploymentAdapter({ client: os });
try {
  console.log(`local gateway on ${os.localGateway.runtime.kind}; deploying ${image}`);
  started = performance.now();
  const applied = await adapter.apply({ deployment, target: agent, runtime }, { signal });
  const sandboxName = applied.runtimeMetadata.sandboxName;
  const answered = applied.conditions.map((c) => `${c.type}=${c.status}`).join(" ");
  console.log(
    `apply answered in ${(performance.now() - started).toFixed(0)} ms: ${answered} (sandbox ${sandboxName})`,
  );

  let final;
  let previous = "";
  for await (const status of adapter.watch(deployment, { signal })) {
    const line = describe(status.conditions);
    if (line !== previous) console.log(`${elapsed()}  ${line}`);
    previous = line;
    if (isReady(status) || isDegraded(status)) {
      final = status;
      break;
    }
  }
  signal.throwIfAborted();
  if (final === undefined || isDegraded(final)) {
    const degraded = final?.conditions.find((c) => c.type === "Degraded");
    console.error(`the agent did not become ready: ${degraded?.message ?? "the watch ended"}`);
    process.exitCode = 1;
  } else {
    const reply = await adapter.invoke(deployment, "hello", { signal });
    console.log(`invoke("hello") -> ${JSON.stringify(replyText(reply))}`);

    // The sandbox runtimeMetadata names is an ordinary sandbox: connect to its agent directly.
    const connection = await connectAgent(os.sandboxes.handle(sandboxName), { port: 8080, signal });
    try {
      process.stdout.write(`stream("hello, streamed") ->`);
      for await (const event of connection.stream("hello, streamed", { signal })) {
        const payload = event.payload;
        if (payload?.$case !== "artifactUpdate") continue;
        const text = (payload.value.artifact?.parts ?? [])
          .map((part) => (part.content?.$case === "text" ? part.content.value : ""))
          .join("");
        process.stdout.write(` ${JSON.stringify(text)}`);
      }
      process.stdout.write("\n");
    } finally {
      await connection.close();
    }

    console.log("last log lines:");
    for await (const line of adapter.logs({ deployment, tailLines: 5, signal })) {
      console.log(`  ${line.stream.padEnd(7)} ${line.line}`);
    }
  }
} catch (error) {
  if (!signal.aborted) throw error;
  process.exitCode = 130;
} finally {
  // Removal cancels a deploy still in flight and deletes whatever it made; not tied to `signal`,
  // which may have fired already: this is the cleanup Ctrl-C asked for.
  const removal = await adapter.remove({ deployment, runtime });
  console.log(`${elapsed()}  removed: ${describe(removal.conditions)}`);
  await adapter.close();
  await os.close();
}
