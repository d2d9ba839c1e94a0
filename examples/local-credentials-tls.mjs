// A credential that never enters the sandbox, used over HTTPS. A provider holds a bearer token; the
// sandbox's environment holds only a placeholder for it; the gateway's egress proxy terminates the
// sandbox's TLS with its own CA, swaps the placeholder for the real token on requests to the API the
// policy binds it to (credential_binding), and refuses it anywhere else. The API is an HTTPS server
// on this machine with a CA of its own, which the gateway trusts (egressTrustedCertificates) and
// the sandbox does not need to know about.
//
//   node examples/local-credentials-tls.mjs
//
// Needs root (the gateway sets host firewall rules with iptables), Docker or Podman on this machine
// (OPENSHELL_RUNTIME picks one), `openssl` on this machine (for the API's CA and certificate), and
// an image with curl and sh: OPENSHELL_DEMO_CURL_IMAGE (default openshell-test/curl:1, which
// `bash scripts/engines.sh` makes: Debian with curl). The image needs no USER (the policy runs the
// sandbox as 1000:1000) and no trust in the API's CA: curl trusts the gateway's egress CA through the
// bundle CURL_CA_BUNDLE names, which the gateway sets. No internet is needed: the proxy knows api.example.test and
// other.example.test as 127.0.0.1, where this process serves the API. Ctrl-C stops it at any step
// and still removes everything.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_CURL_IMAGE ?? "openshell-test/curl:1";
// A made-up token: the API below accepts only it, and prints what it was sent.
const TOKEN = `ya29.example-${randomBytes(12).toString("hex")}`;
const KEY = "GCP_ADC_ACCESS_TOKEN";
const PROVIDER = "example-gcp";

// Ctrl-C cancels the step under way; the finally blocks below still remove what was made.
const interrupt = new AbortController();
const { signal } = interrupt;
process.once("SIGINT", () => {
  console.log("\nCtrl-C: stopping and removing everything");
  process.exitCode = 130;
  interrupt.abort(new Error("interrupted"));
});

let step = 0;
const say = (what) => console.log(`\n${++step}. ${what}`);
const indent = (text) => `    ${text.trim().replaceAll("\n", "\n    ")}`;

/**
 * A CA and a server certificate for both API names, made with the openssl command (RSA, a day long,
 * in a temporary folder that is removed at once): PEM strings.
 */
async function makeCertificates() {
  const dir = await mkdtemp(join(tmpdir(), "openshell-example-ca-"));
  try {
    const file = (name) => join(dir, name);
    await writeFile(
      file("ca.cnf"),
      "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = Example API CA\n" +
        "[ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n" +
        "subjectKeyIdentifier = hash\n",
    );
    await writeFile(
      file("server.cnf"),
      "[req]\nprompt = no\ndistinguished_name = dn\n[dn]\nCN = api.example.test\n" +
        "[ext]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n" +
        "subjectAltName = DNS:api.example.test,DNS:other.example.test\n",
    );
    const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const newKey = ["-newkey", "rsa:2048", "-nodes", "-keyout"];
    openssl(
      "req",
      "-x509",
      "-days",
      "1",
      "-config",
      file("ca.cnf"),
      "-extensions",
      "ext",
      ...newKey,
      file("ca.key"),
      "-out",
      file("ca.pem"),
    );
    openssl(
      "req",
      "-new",
      "-config",
      file("server.cnf"),
      ...newKey,
      file("server.key"),
      "-out",
      file("server.csr"),
    );
    openssl(
      "x509",
      "-req",
      "-days",
      "1",
      "-in",
      file("server.csr"),
      "-CA",
      file("ca.pem"),
      "-CAkey",
      file("ca.key"),
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-extfile",
      file("server.cnf"),
      "-extensions",
      "ext",
      "-out",
      file("server.pem"),
    );
    const read = (name) => readFile(file(name), "utf8");
    return { ca: await read("ca.pem"), cert: await read("server.pem"), key: await read("server.key") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

say("make a CA and a certificate for the API, and start it on 127.0.0.1 (HTTPS)");
const tls = await makeCertificates();
// The "API": 200 for the real token, 401 for anything else; it prints each request it gets, so a
// request it does not print never left the gateway.
const api = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
  const auth = req.headers.authorization ?? "(none)";
  const ok = auth === `Bearer ${TOKEN}`;
  console.log(`    [api] ${req.method} ${req.url} for ${req.headers.host}, Authorization: ${auth}`);
  res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
  res.end(ok ? `{"projects":["example-project"]}\n` : `{"error":"bad token"}\n`);
});
await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
const port = api.address().port;
console.log(`    https://127.0.0.1:${port}, certificate for api.example.test and other.example.test`);

let os;
try {
  say("start an ephemeral local gateway that trusts the API's CA and knows its names");
  os = await OpenShell.local({
    runtime: process.env.OPENSHELL_RUNTIME ?? "auto",
    ephemeral: true,
    egressHosts: { "api.example.test": "127.0.0.1", "other.example.test": "127.0.0.1" },
    // The proxy checks the API's certificate as strictly as any other: it needs the CA.
    egressTrustedCertificates: [tls.ca],
    signal,
  });
  const gateway = os.localGateway;
  console.log(
    `    runtime ${gateway.runtime.kind}, gateway ${gateway.gatewayId}, state in ${gateway.stateDir}`,
  );

  say(`a provider "${PROVIDER}" (type google-cloud) holding the token as ${KEY}`);
  // google-cloud's profile names no endpoint: its credentials go only where the policy binds them.
  await os.providers.create(
    { name: PROVIDER, type: "google-cloud", credentials: { [KEY]: TOKEN } },
    { signal },
  );
  console.log(`    the token: ${TOKEN}`);
  let sb;
  try {
    say(`a sandbox from ${image}: GET /v1/** allowed on api.example.test, the token bound there`);
    sb = await os.sandboxes.create(
      {
        image,
        providers: [PROVIDER],
        // Idle until deleted; TERM ends it at once.
        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
        policy: {
          // A sandbox never runs as root; an image without USER runs as this user.
          process: { runAsUser: "1000", runAsGroup: "1000" },
          networkPolicies: {
            "example-api": {
              endpoints: [
                {
                  host: "api.example.test",
                  port,
                  protocol: "rest",
                  enforcement: "enforce",
                  rules: [{ allow: { method: "GET", path: "/v1/**" } }],
                  credentialBinding: { provider: PROVIDER },
                },
              ],
            },
            // Reachable, but no credential is bound to it.
            "other-api": { endpoints: [{ host: "other.example.test", port }] },
          },
        },
      },
      { signal },
    );
    const info = await sb.ready({ timeoutMs: 60_000, signal });
    console.log(`    ${sb.name} is ${info.phase}`);

    say("the sandbox's environment: a placeholder, never the token");
    const { stdout: env } = await sb.exec(["env"], { signal });
    const shown = env.split("\n").filter((line) => /^(GCP_|CURL_CA_BUNDLE=|HTTPS_PROXY=)/.test(line));
    console.log(indent(shown.sort().join("\n")));
    console.log(`    the token anywhere in it: ${env.includes(TOKEN)}`);
    // The main process (pid 1, the command above) got its environment at create, the same way.
    const { stdout: main } = await sb.exec(["sh", "-c", "tr '\\0' '\\n' < /proc/1/environ"], { signal });
    const mainToken = main.split("\n").find((line) => line.startsWith(`${KEY}=`));
    console.log(`    main process: ${mainToken}; the token in it: ${main.includes(TOKEN)}`);

    /** curl in the sandbox with the placeholder as a bearer token; prints the answer and its status. */
    const curl = async (url) => {
      const line = `curl -sS -H "Authorization: Bearer $${KEY}" -w '(HTTP %{http_code})\\n' ${url}`;
      console.log(`    $ ${line}`);
      const { stdout, stderr } = await sb.exec(["sh", "-c", line], { signal });
      console.log(indent(stdout + stderr));
    };

    say("GET /v1/projects on api.example.test: the proxy puts the real token in");
    await curl(`https://api.example.test:${port}/v1/projects`);

    say("GET /admin/keys on the same API: no rule allows the path (enforce), refused by the proxy");
    await curl(`https://api.example.test:${port}/admin/keys`);

    say("the placeholder to other.example.test: the policy allows the host, the binding does not");
    await curl(`https://other.example.test:${port}/v1/projects`);
  } finally {
    // Also after a failure or Ctrl-C, so without the (then aborted) signal.
    say("clean up: the sandbox, the provider");
    if (sb !== undefined) {
      // A provider attached to a sandbox cannot be deleted: wait until the sandbox is gone.
      const deleted = await sb
        .delete()
        .then(() => sb.deleted({ timeoutMs: 60_000 }))
        .then(
          () => "gone",
          (error) => `failed: ${error.message}`,
        );
      console.log(`    sandbox ${sb.name}: ${deleted}`);
    }
    const gone = await os.providers.delete(PROVIDER).catch((error) => `failed: ${error.message}`);
    console.log(`    provider ${PROVIDER} deleted: ${gone}`);
  }
} catch (error) {
  if (!signal.aborted) throw error;
} finally {
  // Ephemeral: closing removes whatever is left (containers, network, firewall rules, state).
  await os?.close();
  api.close();
  // The proxy may keep a connection open for its next request; there is none.
  api.closeAllConnections();
  console.log("    gateway closed, API server stopped");
}
