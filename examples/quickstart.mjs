// Quickstart: create a sandbox, run commands in it, follow its logs, reach a server inside it
// through a port forward, and delete it. Run it with `bash scripts/demo.sh`, or against your own
// gateway with `node examples/quickstart.mjs` (it finds the gateway as the openshell CLI does).
import { OpenShell } from "openshell";

const timings = [];
async function step(what, fn) {
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  timings.push([what, ms]);
  console.log(`  ${what.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms`);
  return result;
}

// `await using` needs Node 24; on Node 20 close and delete explicitly in `finally`.
const os = await OpenShell.connect();
try {
  console.log(`gateway ${os.gatewayName ?? "(explicit endpoint)"} at ${os.endpoint}`);
  const health = await step("health check", () => os.health());
  console.log(`    status ${health.status}, version ${health.version}`);

  // The main process serves HTTP on port 8080 and writes a log line for every request.
  const server = `
    const http = require("node:http");
    console.log("server starting");
    http.createServer((req, res) => {
      console.log("GET " + req.url);
      res.end("hello from inside the sandbox\\n");
    }).listen(8080, "0.0.0.0", () => console.log("listening on 8080"));
  `;

  const sb = await step("create sandbox", () =>
    os.sandboxes.create({
      image: process.env.OPENSHELL_DEMO_IMAGE ?? "node:20-slim",
      command: ["node", "-e", server],
      labels: { app: "quickstart" },
      env: { GREETING: "hi" },
    }),
  );
  console.log(`    name ${sb.name}, id ${sb.info?.id}`);
  let deleted = false;
  try {
    await step("wait until ready", () => sb.ready({ timeoutMs: 60_000 }));

    const uname = await step("exec uname -sm", () => sb.exec(["uname", "-sm"]));
    console.log(`    exit ${uname.exitCode}: ${uname.stdout.trim()}`);
    const env = await step("exec with env and stdin", () =>
      sb.exec(["sh", "-c", 'echo "$GREETING, $(cat)"'], { stdin: "world" }),
    );
    console.log(`    ${env.stdout.trim()}`);

    await step("stream exec output", async () => {
      for await (const ev of sb.execStream([
        "sh",
        "-c",
        "for i in 1 2 3; do echo line $i; sleep 0.1; done",
      ])) {
        if (ev.type === "stdout") process.stdout.write(`    ${Buffer.from(ev.data).toString()}`);
        if (ev.type === "exit") console.log(`    exit ${ev.exitCode}`);
      }
    });

    const fwd = await step("forward port 8080", () => sb.forward({ port: 8080 }));
    const page = await step("GET through the forward", async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await (await fetch(fwd.url)).text();
        } catch (err) {
          if (attempt > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });
    console.log(`    ${fwd.url} answered: ${page.trim()}`);

    await step("follow logs until the request", async () => {
      for await (const line of sb.logs({ follow: true, sources: ["sandbox"] })) {
        console.log(`    [${line.source}] ${line.message}`);
        if (line.message.includes("GET /")) break;
      }
    });

    await fwd.close();
    await step("delete sandbox", () => sb.delete());
    deleted = true;
    await step("wait until gone", () => sb.deleted({ timeoutMs: 60_000 }));
  } finally {
    // A failed step must not leave the sandbox behind.
    if (!deleted) await sb.delete().catch(() => undefined);
  }
  const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`done: ${timings.length} steps in ${total.toFixed(0)} ms`);
} finally {
  os.close();
}
