// The checks behind scripts/macos-acceptance.sh (run that: it refuses clearly on a machine that
// cannot run them, and builds the SDK first). Local mode on Apple's `container` CLI, end to end:
// every check prints PASS, FAIL or NOTE with what it saw, and the report between the markers is
// what to paste back. Everything it makes is removed at the end, and the last check verifies that
// with the `container` CLI itself rather than with the SDK.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { CapabilityError, FailedPreconditionError, OpenShell } from "openshell";

const image = process.env.OPENSHELL_ACCEPTANCE_IMAGE ?? "docker.io/library/busybox:1.36";
// The SDK's own test runs these same checks on Docker and Podman (no Mac here); a Mac user never sets it.
const runtime = process.env.OPENSHELL_ACCEPTANCE_RUNTIME ?? "apple-container";
const cliName = runtime === "apple-container" ? "container" : runtime;
const results = [];
const facts = [];

function cli(args) {
  try {
    return execFileSync(args[0], args.slice(1), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (error) {
    return `(failed: ${
      String(error.stderr || error.message)
        .trim()
        .split("\n")[0]
    })`;
  }
}

/** What the engine's own CLI lists of a kind (`container` or `network`), as text to search. */
function leftovers(what) {
  if (cliName === "container") {
    return cli(
      what === "container"
        ? ["container", "list", "--all", "--format", "json"]
        : ["container", "network", "list", "--format", "json"],
    );
  }
  const list = what === "container" ? ["ps", "-a"] : ["network", "ls"];
  return cli([cliName, ...list, "--no-trunc", "--format", "{{.Labels}}"]);
}

function record(status, name, detail) {
  results.push({ status, name, detail });
  console.log(`${status.padEnd(4)} ${name}${detail ? `: ${detail}` : ""}`);
}

/** Runs one check; a throw is a FAIL with the error's class and message, and the run goes on. */
async function check(name, run) {
  const started = performance.now();
  try {
    const outcome = await run();
    const ms = Math.round(performance.now() - started);
    record(outcome?.status ?? "PASS", name, `${outcome?.detail ?? "ok"} (${ms} ms)`);
    return outcome;
  } catch (error) {
    record("FAIL", name, `${error?.name ?? "Error"}: ${error?.message ?? error}`);
    return undefined;
  }
}

facts.push(`macOS ${cli(["sw_vers", "-productVersion"])} (${cli(["uname", "-m"])})`);
facts.push(`${cliName}: ${cli([cliName, "--version"])}`);
facts.push(`node ${process.version}, image ${image}`);
for (const fact of facts) console.log(`     ${fact}`);

const PAGE = "hello from a sandbox on Apple container";
const SERVE = [
  "sh",
  "-c",
  `mkdir -p /tmp/www && echo '${PAGE}' > /tmp/www/index.html && echo serving && exec httpd -f -p 8080 -h /tmp/www`,
];
const asUser = { process: { runAsUser: "1000", runAsGroup: "1000" } };

// A server on this machine, on all addresses as many local services are: reached through the proxy
// under a name the policy allows, and (on Apple container) directly, which nothing there can stop.
const HOST_PAGE = "hello from this machine";
const hostServer = createServer((_req, res) => res.end(`${HOST_PAGE}\n`));
await new Promise((resolve) => hostServer.listen(0, "0.0.0.0", resolve));
const hostPort = hostServer.address().port;

// Apple container's host-only networks reach this Mac and local mode cannot firewall them: the
// default refuses, and best-effort runs, saying so once.
const hostOnly = runtime === "apple-container";
const warnings = [];
process.on("warning", (warning) => {
  if (warning.code === "OPENSHELL_EGRESS_LIMITED") warnings.push(warning.message);
});
if (hostOnly) {
  await check("isolation: the default refuses, naming the address sandboxes could reach", async () => {
    try {
      const unexpected = await OpenShell.local({ runtime, ephemeral: true });
      await unexpected.close();
    } catch (error) {
      if (!(error instanceof CapabilityError) || !error.missing?.includes("host-firewall")) throw error;
      return { detail: error.message };
    }
    throw new Error("OpenShell.local() started, although nothing guards this Mac from its sandboxes");
  });
}

let os;
let gatewayId;
const hostIsolation = hostOnly ? "best-effort" : "require";
const started = await check(
  `start local mode (OpenShell.local({ runtime: "${runtime}", hostIsolation: "${hostIsolation}" }))`,
  async () => {
    os = await OpenShell.local({
      runtime,
      ephemeral: true,
      hostIsolation,
      egressHosts: { "allowed.test": "127.0.0.1" },
    });
    gatewayId = os.localGateway.gatewayId;
    const info = await os.localGateway.runtime.info();
    const said = warnings.length === 0 ? "" : `; warned: ${warnings.join(" | ")}`;
    return { detail: `runtime ${info.kind} ${info.version}, gateway ${gatewayId}${said}` };
  },
);

if (started) {
  try {
    let sb;
    await check("quickstart: create a sandbox and wait for READY", async () => {
      const networkPolicies = { host: { endpoints: [{ host: "allowed.test", port: hostPort }] } };
      sb = await os.sandboxes.create({ image, command: SERVE, policy: { ...asUser, networkPolicies } });
      await sb.ready({ timeoutMs: 180_000 });
      return { detail: `${sb.name} READY` };
    });
    if (sb) {
      await check("quickstart: exec runs as the policy's user", async () => {
        const { exitCode, stdout, stderr } = await sb.exec(["id", "-u"]);
        if (exitCode !== 0 || stdout.trim() !== "1000") {
          throw new Error(
            `expected uid 1000 and exit 0, got exit ${exitCode}, stdout ${JSON.stringify(stdout)}, stderr ${JSON.stringify(stderr)}`,
          );
        }
        return { detail: "uid 1000" };
      });
      await check("quickstart: exec passes stdin and exit codes", async () => {
        const piped = await sb.exec(["sh", "-c", "cat; exit 3"], { stdin: "ping" });
        if (piped.exitCode !== 3 || piped.stdout !== "ping") {
          throw new Error(
            `expected "ping" back and exit 3, got ${JSON.stringify(piped.stdout)} and exit ${piped.exitCode}`,
          );
        }
        return { detail: "stdin echoed, exit 3" };
      });
      await check("quickstart: logs hold the main process's output, with timestamps in order", async () => {
        const lines = await sb.logs({ lines: 50, sources: ["sandbox"] });
        const serving = lines.find((line) => line.message.includes("serving"));
        if (!serving) throw new Error(`no "serving" line in ${lines.length} log lines`);
        const times = lines.map((line) => line.timestamp.getTime());
        if (times.some((t, i) => i > 0 && t < times[i - 1])) throw new Error("log timestamps go backwards");
        return { detail: `${lines.length} lines` };
      });
      await check("forward: a server in the sandbox answers on 127.0.0.1", async () => {
        const fwd = await sb.forward({ port: 8080 });
        try {
          const text = (await (await fetch(fwd.url)).text()).trim();
          if (text !== PAGE) throw new Error(`expected ${JSON.stringify(PAGE)}, got ${JSON.stringify(text)}`);
          return { detail: fwd.url };
        } finally {
          await fwd.close();
        }
      });
      await check("egress: a host the policy does not name is refused by the gateway's proxy", async () => {
        const { exitCode, stdout, stderr } = await sb.exec(["wget", "-O", "-", "http://example.com/"]);
        if (exitCode === 0)
          throw new Error(`the sandbox reached example.com without a rule: ${stdout.slice(0, 80)}`);
        const said = stderr.trim().split("\n").pop() ?? "";
        if (!/403/.test(stderr))
          throw new Error(`wget failed (exit ${exitCode}) but not with the proxy's 403: ${said}`);
        return { detail: `refused: ${said}` };
      });
      await check("egress: a host the policy allows answers through the gateway's proxy", async () => {
        const { exitCode, stdout, stderr } = await sb.exec([
          "wget",
          "-q",
          "-O",
          "-",
          `http://allowed.test:${hostPort}/`,
        ]);
        if (exitCode !== 0 || stdout.trim() !== HOST_PAGE) {
          throw new Error(`expected ${JSON.stringify(HOST_PAGE)}, got exit ${exitCode}: ${stdout}${stderr}`);
        }
        const proxy = (await sb.exec(["sh", "-c", "echo $HTTP_PROXY"])).stdout.trim();
        return { detail: `through ${proxy}` };
      });
      if (hostOnly) {
        await check(
          "isolation: what best-effort warned about is true (this Mac answers directly)",
          async () => {
            const proxy = (await sb.exec(["sh", "-c", "echo $HTTP_PROXY"])).stdout.trim();
            const address = new URL(proxy).hostname;
            const direct = await sb.exec([
              "wget",
              "-q",
              "-O",
              "-",
              "-Y",
              "off",
              `http://${address}:${hostPort}/`,
            ]);
            return direct.exitCode === 0
              ? {
                  status: "NOTE",
                  detail: `a direct request to ${address}:${hostPort} was answered, as warned`,
                }
              : {
                  status: "NOTE",
                  detail: `a direct request to ${address}:${hostPort} failed: ${direct.stderr.trim()}`,
                };
          },
        );
      }
      await sb.delete();
    }

    await check("policy: hard_requirement is refused or enforced, never weakened", async () => {
      const policy = { ...asUser, landlock: { compatibility: "hard_requirement" } };
      let hard;
      try {
        hard = await os.sandboxes.create({ image, command: SERVE, policy });
        await hard.ready({ timeoutMs: 180_000 });
      } catch (error) {
        if (!(error instanceof CapabilityError || error instanceof FailedPreconditionError)) throw error;
        if (!error.message.includes(runtime))
          throw new Error(`refused without naming the runtime: ${error.message}`);
        await hard?.delete().catch(() => undefined);
        return { detail: `refused: ${error.message}` };
      }
      try {
        const write = await hard.exec(["sh", "-c", "touch /etc/openshell-acceptance"]);
        if (write.exitCode === 0) throw new Error("it ran, and the read-only root it required is writable");
        return { detail: "ran, and a write outside the writable paths failed" };
      } finally {
        await hard.delete();
      }
    });

    await check("policy: best_effort runs and says what it does not enforce", async () => {
      const policy = { ...asUser, landlock: { compatibility: "best_effort" } };
      const soft = await os.sandboxes.create({ image, command: SERVE, policy });
      try {
        await soft.ready({ timeoutMs: 180_000 });
        const said = (await soft.logs({ lines: 200, sources: ["gateway"] }))
          .map((line) => line.message)
          .filter((message) => /not enforced|not dropped|not set|not limited/.test(message));
        return said.length === 0
          ? { detail: "ran; the gateway reported nothing unenforced" }
          : { status: "NOTE", detail: `ran; the gateway said: ${said.join(" | ")}` };
      } finally {
        await soft.delete();
      }
    });
  } finally {
    await check("cleanup: the gateway closes", async () => {
      await os.close();
      return { detail: "closed" };
    });
  }
  await check(`cleanup: the ${cliName} CLI lists nothing of this gateway`, async () => {
    const left = ["container", "network"].filter((what) => leftovers(what).includes(gatewayId));
    if (left.length > 0) throw new Error(`still there after close: a ${left.join(" and a ")} of it`);
    return { detail: "no container or network carries its id" };
  });
}

await new Promise((resolve) => hostServer.close(resolve));
const failed = results.filter((r) => r.status === "FAIL").length;
console.log("\n----- BEGIN OPENSHELL MACOS ACCEPTANCE REPORT -----");
for (const fact of facts) console.log(fact);
for (const r of results) console.log(`${r.status} ${r.name}: ${r.detail}`);
console.log(`${results.length - failed} of ${results.length} passed`);
console.log("----- END OPENSHELL MACOS ACCEPTANCE REPORT -----");
process.exitCode = failed === 0 ? 0 : 1;
