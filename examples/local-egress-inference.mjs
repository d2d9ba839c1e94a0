// Network policy and inference.local in local mode, seen from inside a sandbox: its only way out is
// the gateway's egress proxy, which applies the sandbox's network_policies (here an L7 `access`
// rule), writes each decision on the sandbox's gateway log, and picks up a policy update without a
// restart; https://inference.local reaches the inference route's provider with a credential that
// never enters the sandbox. Two HTTP servers on 127.0.0.1 stand in for a public API and a provider.
//
//   node examples/local-egress-inference.mjs
//
// Needs root (the gateway sets host firewall rules with iptables), Docker or Podman on this machine,
// and an image with curl: OPENSHELL_DEMO_CURL_IMAGE (default openshell-test/curl:1, which
// `bash scripts/engines.sh` makes).
import { createServer } from "node:http";
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_CURL_IMAGE ?? "openshell-test/curl:1";
// A made-up key: the provider below checks nothing, it only shows what it was sent.
const API_KEY = "sk-example-provider-key-0123456789";

/** Starts an HTTP server on 127.0.0.1 and resolves with it and its port. */
async function serve(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: server.address().port };
}

function readBody(req) {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });
}

// The "public API": answers every request it gets, so any refusal below is the egress proxy's.
const api = await serve(async (req, res) => {
  await readBody(req);
  res.setHeader("content-type", "application/json");
  res.end(`${JSON.stringify({ api: "example", method: req.method, path: req.url })}\n`);
});

// The "provider": an OpenAI-style chat completions endpoint that prints the Authorization header it
// got, and (as no real provider should) echoes it in its answer.
const provider = await serve(async (req, res) => {
  const body = JSON.parse((await readBody(req)) || "{}");
  console.log(`    [provider] ${req.method} ${req.url} Authorization: ${req.headers.authorization}`);
  res.setHeader("content-type", "application/json");
  res.end(
    `${JSON.stringify({
      object: "chat.completion",
      model: body.model,
      choices: [{ message: { role: "assistant", content: "Hello from the fake provider." } }],
      echoed_authorization: req.headers.authorization,
    })}\n`,
  );
});

let step = 0;
const say = (what) => console.log(`\n${++step}. ${what}`);
const indent = (text) => `    ${text.trim().replaceAll("\n", "\n    ")}`;

say("start an ephemeral local gateway; the proxy resolves api.example.test to 127.0.0.1");
const os = await OpenShell.local({
  runtime: process.env.OPENSHELL_RUNTIME ?? "auto",
  ephemeral: true,
  egressHosts: { "api.example.test": "127.0.0.1" },
});
try {
  console.log(`    runtime ${os.localGateway.runtime.kind}, sandbox network ${os.localGateway.network}`);

  say("a provider holding the credential, and the default inference route to it");
  await os.providers.create({
    name: "fake-openai",
    type: "openai",
    credentials: { OPENAI_API_KEY: API_KEY },
    config: { OPENAI_BASE_URL: `http://127.0.0.1:${provider.port}/v1` },
  });
  const route = await os.inference.setRoute({ provider: "fake-openai", model: "example-model" });
  console.log(`    route ${route.routeName} -> provider fake-openai, model ${route.model}`);

  const apiUrl = `http://api.example.test:${api.port}`;
  say(`create a sandbox from ${image} allowing read-only access to ${apiUrl}`);
  const sb = await os.sandboxes.create({
    image,
    policy: {
      // The image has no USER, and a sandbox never runs as root.
      process: { runAsUser: "1000", runAsGroup: "1000" },
      networkPolicies: {
        "example-api": {
          endpoints: [{ host: "api.example.test", port: api.port, access: "read-only" }],
        },
      },
    },
  });
  await sb.ready({ timeoutMs: 60_000 });
  // What the gateway put in the sandbox's environment: the proxy, and where its CA is.
  const { stdout: env } = await sb.exec(["sh", "-c", "env | grep -Ei 'proxy=|_CA_|CERT' | sort"]);
  console.log(`    ${sb.name} is READY; the gateway set in its environment:`);
  console.log(indent(env));

  /** Runs curl in the sandbox and prints its answer (body and HTTP status), or curl's error. */
  const curl = async (...args) => {
    const { stdout, stderr } = await sb.exec(["curl", "-sS", "-w", "(HTTP %{http_code})\n", ...args]);
    console.log(indent(stderr || stdout));
  };

  say("GET: allowed by access read-only");
  await curl(`${apiUrl}/items`);

  say("POST: refused by the proxy with 403, since read-only allows GET, HEAD and OPTIONS");
  await curl("-X", "POST", "-d", "name=x", `${apiUrl}/items`);

  say("a host no rule names: refused, over plain HTTP and over HTTPS (CONNECT)");
  await curl(`http://other.example.test:${api.port}/`);
  await curl("https://example.com/");

  say("the gateway log: one line per egress decision");
  const egressLines = async () =>
    (await sb.logs({ sources: ["gateway"] })).filter((line) => line.message.startsWith("egress "));
  for (const line of await egressLines()) console.log(`    ${line.level} ${line.message}`);

  say("update the policy to read-write and wait until it is LOADED (the sandbox keeps running)");
  const update = await os.policy.update(sb.name, {
    networkPolicies: {
      "example-api": {
        endpoints: [{ host: "api.example.test", port: api.port, access: "read-write" }],
      },
    },
    wait: true,
  });
  console.log(`    policy version ${update.version} is ${update.status}`);
  await curl("-X", "POST", "-d", "name=x", `${apiUrl}/items`);
  console.log(`    ${(await egressLines()).at(-1)?.message}`);

  say("a chat completion to https://inference.local, answered by the provider");
  await curl(
    "-H",
    "content-type: application/json",
    "-d",
    '{"model":"any-model","messages":[{"role":"user","content":"hi"}]}',
    "https://inference.local/v1/chat/completions",
  );
  const inferenceLine = (await sb.logs({ sources: ["gateway"] }))
    .filter((line) => line.message.startsWith("inference.local"))
    .at(-1);
  console.log(`    gateway log: ${inferenceLine?.message}`);

  say("the credential is nowhere in the sandbox's environment");
  const { stdout: envAfter } = await sb.exec(["env"]);
  const count = envAfter.trim().split("\n").length;
  console.log(`    ${count} variables; the provider's key in any of them: ${envAfter.includes(API_KEY)}`);
  console.log(`    OPENAI_API_KEY set: ${/^OPENAI_API_KEY=/m.test(envAfter)}`);

  await sb.delete();
} finally {
  await os.close();
  api.server.close();
  provider.server.close();
}
