// Local mode, end to end: no OpenShell gateway installed, just Docker, Podman or Apple `container`.
// Builds a small image, creates a sandbox from it, runs commands in it, follows its logs, fetches a
// page from a server inside it through a port forward, deletes it, and prints how long each step took.
//
//   OPENSHELL_DEMO_BASE_IMAGE=busybox:1.36 node examples/local-quickstart.mjs
//
// `bash scripts/demo.sh` runs it on a fresh Debian machine (it installs Docker and imports a busybox
// base image first, since no image registry may be reachable).
import { OpenShell } from "openshell";

const base = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";
const image = "openshell-demo/hello:1";

const timings = [];
async function step(what, fn) {
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  timings.push([what, ms]);
  console.log(`  ${what.padEnd(36)} ${ms.toFixed(0).padStart(6)} ms`);
  return result;
}

// Ephemeral: the sandbox, its container and the gateway's network are removed when this script
// ends, however it ends. Leave it out to keep sandboxes across runs.
const os = await step("start the local gateway", () =>
  OpenShell.local({ runtime: process.env.OPENSHELL_RUNTIME ?? "auto", ephemeral: true }),
);
try {
  const gateway = os.localGateway;
  const info = await gateway.runtime.info();
  console.log(
    `    runtime ${info.kind} ${info.version} (${gateway.runtime.endpoint}), state in ${gateway.stateDir}`,
  );

  await step("build the image", () =>
    gateway.runtime.buildImage({
      tag: image,
      // A sandbox never runs as root: the image says which user it runs as (a numeric one needs no
      // /etc/passwd entry). The build itself runs as root, whatever the base image's user is.
      dockerfileText: [
        `FROM ${base}`,
        "USER root",
        "RUN mkdir -p /srv/www && echo 'hello from inside the sandbox' > /srv/www/index.html",
        "USER 1000:1000",
        'CMD ["httpd", "-f", "-v", "-p", "0.0.0.0:8080", "-h", "/srv/www"]',
      ].join("\n"),
    }),
  );
  console.log(`    ${image} from ${base}`);

  // The main process serves HTTP on port 8080 and logs every response it sends (httpd -v).
  const sb = await step("create sandbox", () =>
    os.sandboxes.create({
      image,
      command: ["httpd", "-f", "-v", "-p", "0.0.0.0:8080", "-h", "/srv/www"],
      labels: { app: "local-quickstart" },
      env: { GREETING: "hi" },
    }),
  );
  console.log(`    name ${sb.name}, id ${sb.info?.id}`);
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
      // A deadline, so a server that never logs cannot hang the demo.
      for await (const line of sb.logs({ follow: true, signal: AbortSignal.timeout(30_000) })) {
        console.log(`    [${line.source}] ${line.message}`);
        if (line.source === "sandbox" && line.message.includes("response:200")) break;
      }
    });
    await fwd.close();
  } finally {
    await step("delete sandbox", async () => {
      await sb.delete();
      await sb.deleted({ timeoutMs: 60_000 });
    });
  }
} finally {
  await step("close the gateway", () => os.close());
}

const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
console.log(`done in ${total.toFixed(0)} ms`);
