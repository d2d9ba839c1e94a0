// Workload templates, published services and the policy advisor in local mode. A template holds the
// image and environment; a sandbox made from it serves a page, published at a URL on this machine.
// Then the sandbox asks for a host its policy does not allow: the gateway's egress proxy refuses it
// and the policy advisor turns the refusal into a proposed rule (a draft chunk). Approving it loads
// a new policy revision into the running sandbox, and the same request passes.
//
//   node examples/local-policy-advisor.mjs
//
// Needs root (the gateway sets host firewall rules with iptables) and Docker or Podman on this
// machine. The image comes from OPENSHELL_DEMO_BASE_IMAGE (default busybox:1.36, pulled when
// missing; the sandbox uses its httpd and wget); the runtime from OPENSHELL_RUNTIME. No internet is
// needed: the "API" the sandbox asks for is an HTTP server on 127.0.0.1 in this process, which the
// proxy knows as api.example.test. Ctrl-C stops it at any step and still removes everything.
import { createServer } from "node:http";
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";

// Ctrl-C cancels the step under way; the finally blocks below still remove what was made.
const interrupt = new AbortController();
const { signal } = interrupt;
process.once("SIGINT", () => {
  console.log("\nCtrl-C: stopping and removing everything");
  process.exitCode = 130;
  interrupt.abort(new Error("interrupted"));
});

// The "API": answers every request it gets, so a refusal below is the egress proxy's.
const api = createServer((req, res) => {
  console.log(`    [api] ${req.method} ${req.url} from the sandbox, through the proxy`);
  res.end(`report from the example API (${req.url})\n`);
});
await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
const apiUrl = `http://api.example.test:${api.address().port}/report`;

let step = 0;
const say = (what) => console.log(`\n${++step}. ${what}`);
const indent = (text) => `    ${text.trim().replaceAll("\n", "\n    ")}`;

/** Polls `probe` every 200 ms until it returns something, for up to 20 s. */
async function until(what, probe) {
  const deadline = Date.now() + 20_000;
  let last;
  for (;;) {
    signal.throwIfAborted();
    const value = await probe().catch((error) => {
      last = error;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let os;
try {
  say("start an ephemeral local gateway; its egress proxy knows api.example.test as 127.0.0.1");
  os = await OpenShell.local({
    runtime: process.env.OPENSHELL_RUNTIME ?? "auto",
    ephemeral: true,
    egressHosts: { "api.example.test": "127.0.0.1" },
    signal,
  });
  const gateway = os.localGateway;
  console.log(
    `    runtime ${gateway.runtime.kind}, gateway ${gateway.gatewayId}, state in ${gateway.stateDir}`,
  );

  say(`create the template "web-page": image ${image} and the text of the page`);
  const template = await os.templates.create(
    { name: "web-page", image, env: { PAGE_TEXT: "hello from a sandbox made from a template" } },
    { signal },
  );
  console.log(`    template ${template.name} (version ${template.resourceVersion}): ${template.image}`);

  say("create a sandbox from it that serves the page on port 8080 (busybox httpd)");
  const sb = await os.sandboxes.create(
    {
      template: "web-page",
      // The request adds only what the template does not own: the command and the policy.
      command: [
        "sh",
        "-c",
        // httpd goes to the background; the shell stays, and leaves at once when the sandbox stops.
        'mkdir -p /tmp/www && echo "$PAGE_TEXT" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && ' +
          "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
      ],
      // busybox has no USER and a sandbox never runs as root; no network rules: nothing is allowed.
      policy: { process: { runAsUser: "1000", runAsGroup: "1000" }, networkPolicies: {} },
    },
    { signal },
  );
  let service;
  try {
    const info = await sb.ready({ timeoutMs: 60_000, signal });
    console.log(`    ${sb.name} is ${info.phase}, made from template ${info.template?.name}`);

    say("publish port 8080 and fetch the page from this machine");
    service = await os.services.expose({ sandbox: sb.name, port: 8080, name: "web" }, { signal });
    console.log(`    ${service.url} -> ${sb.name}:${service.port}`);
    // httpd may still be starting.
    const page = await until("the page", async () => {
      const res = await fetch(service.url, { signal });
      return res.ok ? res.text() : undefined;
    });
    console.log(`    GET ${service.url}: ${page.trim()}`);

    /** Runs busybox wget in the sandbox and prints what it printed and its exit code. */
    const wget = async () => {
      const { stdout } = await sb.exec(["sh", "-c", `wget -q -O - ${apiUrl} 2>&1; echo "(wget exit $?)"`], {
        signal,
      });
      console.log(indent(stdout));
    };

    say(`from inside the sandbox, GET ${apiUrl}: no rule allows it`);
    await wget();

    say("the policy advisor's draft: the refusal became a proposed rule");
    const chunk = await until("a pending draft chunk", async () => {
      const draft = await os.policy.drafts.get(sb.name, { status: "pending", signal });
      return draft.chunks[0];
    });
    console.log(`    chunk ${chunk.id}: ${chunk.status}, ${chunk.hitCount} hit(s)`);
    console.log(`    proposed rule "${chunk.ruleName}":`);
    for (const e of chunk.proposedRule?.endpoints ?? []) {
      console.log(`      ${e.host}:${e.port} protocol ${e.protocol}, access ${e.access}, ${e.enforcement}`);
    }
    console.log(`    why: ${chunk.rationale}`);

    say("approve it and wait until the running sandbox has loaded the new policy");
    const approved = await os.policy.drafts.approve(sb.name, chunk, { wait: true, signal });
    console.log(`    policy version ${approved.version} is ${approved.status}`);

    say("the same GET again: it passes");
    await wget();
  } finally {
    // Also after a failure or Ctrl-C, so without the (then aborted) signal.
    say("clean up: the service, the sandbox, the template");
    if (service !== undefined) {
      const removed = await os.services
        .delete(sb.name, service.name)
        .catch((error) => `failed: ${error.message}`);
      console.log(`    service ${service.name} deleted: ${removed}`);
    }
    const deleted = await sb.delete().catch((error) => `failed: ${error.message}`);
    console.log(`    sandbox ${sb.name} deleted: ${deleted}`);
    const gone = await os.templates.delete("web-page").catch((error) => `failed: ${error.message}`);
    console.log(`    template web-page deleted: ${gone}`);
  }
} catch (error) {
  if (!signal.aborted) throw error;
} finally {
  // Ephemeral: closing removes whatever is left (containers, network, firewall rules, state).
  await os?.close();
  api.close();
  console.log("    gateway closed, API server stopped");
}
