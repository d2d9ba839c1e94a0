import type { ReapResult } from "../container-runtime.js";
import type { EngineEndpoint } from "../engine-endpoint.js";

/** Where a session's objects live: a Docker-API engine (Docker, Podman) or the Apple `container` CLI. */
export type ReapTarget = { kind: "engine"; endpoint: EngineEndpoint } | { kind: "cli"; command: string };

/**
 * Removes every container, network and volume labelled with `sessionId` (and managed by openshell),
 * in that order, and returns how many of each it removed. An object that is already gone when it is
 * deleted (404, "not found") is skipped, not counted. One object that cannot be removed does not
 * stop the others: the function removes what it can, then throws an error naming what is left
 * (`error.removed` holds the partial counts).
 *
 * This function is also the body of the detached watcher (`start-reaper.ts`), which runs
 * `reapSession.toString()` in a bare `node` with none of this package's modules. So its text must be
 * a complete program piece, which is why it is written in an unusual way:
 * - it uses nothing from outside its own braces but its arguments and the standard globals;
 * - node built-ins come from `process.getBuiltinModule`, or an `import()` compiled by `new Function`,
 *   never from `import()` syntax: Vite/Vitest rewrite a literal `import()` into
 *   `__vite_ssr_dynamic_import__`, and a CJS bundle may turn it into `require`, neither of which
 *   exists in the watcher;
 * - helpers are object-literal methods and callbacks are inline arrows: a bundler running with
 *   `keepNames` wraps every named function or `const f = () => ...` in a `__name()` helper that
 *   would be missing too, but leaves methods and anonymous arrows alone;
 * - only type annotations are TypeScript (no enums, namespaces or parameter properties).
 * `test/unit/runtime/reaper/reap-session.test.ts` runs the stringified function in a plain node.
 */
export async function reapSession(target: ReapTarget, sessionId: string): Promise<ReapResult> {
  // An empty or odd id would turn the label filter into something much broader than one session.
  if (typeof sessionId !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(sessionId)) {
    throw new Error(`reapSession: invalid session id ${JSON.stringify(sessionId)}`);
  }
  const selector: Record<string, string> = {
    "openshell.ai/managed-by": "openshell",
    "openshell.ai/session": sessionId,
  };
  const removed: ReapResult = { containers: 0, networks: 0, volumes: 0 };
  const failures: string[] = [];
  const builtin = {
    // process.getBuiltinModule (Node 20.16+) works in any context, a test runner's VM included,
    // where a dynamic import compiled by new Function has no loader; that covers older Node 20s.
    async load(specifier: string): Promise<unknown> {
      return typeof process.getBuiltinModule === "function"
        ? process.getBuiltinModule(specifier)
        : new Function("specifier", "return import(specifier)")(specifier);
    },
  };
  const cleanups: (() => void)[] = [];

  try {
    if (target.kind === "cli") {
      const childProcess = (await builtin.load("node:child_process")) as typeof import("node:child_process");
      const cli = {
        run(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
          return new Promise((resolve) => {
            childProcess.execFile(
              target.command,
              args,
              { maxBuffer: 64 * 1024 * 1024, timeout: 60_000, windowsHide: true },
              (error, stdout, stderr) => {
                resolve({
                  ok: error === null,
                  stdout: String(stdout),
                  stderr: String(stderr).trim() || (error === null ? "" : error.message),
                });
              },
            );
          });
        },
        async list(args: string[]): Promise<Record<string, unknown>[]> {
          const out = await cli.run(args);
          if (!out.ok) throw new Error(`${target.command} ${args.join(" ")} failed: ${out.stderr}`);
          const parsed: unknown = out.stdout.trim() === "" ? [] : JSON.parse(out.stdout);
          if (!Array.isArray(parsed)) {
            throw new Error(`${target.command} ${args.join(" ")}: not a JSON array`);
          }
          return parsed.filter((item) => typeof item === "object" && item !== null);
        },
        // Containers: {id, configuration{id, labels}} (1.x) or {status, configuration{id, labels}}
        // (before 1.0); networks: {id, config{id, labels}}; volumes: {name, labels}.
        pick(item: Record<string, unknown>): { id: string | undefined; labels: Record<string, unknown> } {
          const nested = [item, item.configuration, item.config].filter(
            (value): value is Record<string, unknown> => typeof value === "object" && value !== null,
          );
          let id: string | undefined;
          let labels: Record<string, unknown> = {};
          for (const part of nested) {
            if (id === undefined && typeof part.id === "string") id = part.id;
            if (id === undefined && typeof part.name === "string") id = part.name;
            if (typeof part.labels === "object" && part.labels !== null && Object.keys(labels).length === 0) {
              labels = part.labels as Record<string, unknown>;
            }
          }
          return { id, labels };
        },
        async reap(kind: keyof ReapResult, listArgs: string[], deleteArgs: string[]): Promise<void> {
          for (const item of await cli.list(listArgs)) {
            const { id, labels } = cli.pick(item);
            if (
              id === undefined ||
              !Object.entries(selector).every(([key, value]) => labels[key] === value)
            ) {
              continue;
            }
            const out = await cli.run([...deleteArgs, id]);
            if (out.ok) {
              removed[kind] += 1;
            } else if (!/not found|no such|does not exist/i.test(out.stderr)) {
              failures.push(`${kind} ${id}: ${out.stderr}`);
            }
          }
        },
      };
      await cli.reap("containers", ["list", "--all", "--format", "json"], ["delete", "--force"]);
      await cli.reap("networks", ["network", "list", "--format", "json"], ["network", "delete"]);
      await cli.reap("volumes", ["volume", "list", "--format", "json"], ["volume", "delete"]);
    } else {
      const http = (await builtin.load("node:http")) as typeof import("node:http");
      const endpoint = target.endpoint;
      let request = http.request;
      let base: import("node:https").RequestOptions;
      if (endpoint.kind === "unix") {
        base = { socketPath: endpoint.socketPath };
      } else if (endpoint.kind === "tcp") {
        base = { host: endpoint.host, port: endpoint.port };
        if (endpoint.tls !== undefined) {
          const https = (await builtin.load("node:https")) as typeof import("node:https");
          const fs = (await builtin.load("node:fs")) as typeof import("node:fs");
          const tls = endpoint.tls;
          request = https.request;
          base = {
            host: endpoint.host,
            port: endpoint.port,
            cert: fs.readFileSync(tls.certFile),
            key: fs.readFileSync(tls.keyFile),
            ca: tls.verify ? fs.readFileSync(tls.caFile) : undefined,
            rejectUnauthorized: tls.verify,
          };
        }
      } else {
        // No ssh client library here: the ssh binary forwards a local socket to the engine's
        // remote socket (the streamlocal channel Podman's own remote client uses).
        const childProcess = (await builtin.load(
          "node:child_process",
        )) as typeof import("node:child_process");
        const fs = (await builtin.load("node:fs")) as typeof import("node:fs");
        const os = (await builtin.load("node:os")) as typeof import("node:os");
        const path = (await builtin.load("node:path")) as typeof import("node:path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openshell-reap-"));
        cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
        const local = path.join(dir, "engine.sock");
        const args = [
          "-N",
          "-o",
          "BatchMode=yes",
          "-o",
          "ExitOnForwardFailure=yes",
          "-p",
          String(endpoint.port),
        ];
        if (endpoint.username !== undefined) args.push("-l", endpoint.username);
        args.push("-L", `${local}:${endpoint.socketPath ?? "/var/run/docker.sock"}`, "--", endpoint.host);
        const tunnel = childProcess.spawn("ssh", args, {
          stdio: ["ignore", "ignore", "pipe"],
          windowsHide: true,
        });
        cleanups.push(() => tunnel.kill());
        let sshError = "";
        tunnel.stderr?.on("data", (chunk: Buffer) => {
          sshError = (sshError + chunk.toString("utf8")).slice(-2000);
        });
        tunnel.on("error", (error) => {
          sshError = error.message;
        });
        const deadline = Date.now() + 20_000;
        while (!fs.existsSync(local)) {
          if (tunnel.exitCode !== null || tunnel.signalCode !== null || sshError.startsWith("spawn")) {
            throw new Error(`ssh to ${endpoint.host} failed: ${sshError.trim() || "it exited"}`);
          }
          if (Date.now() > deadline) throw new Error(`ssh to ${endpoint.host}: no tunnel within 20 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        base = { socketPath: local };
      }

      const engine = {
        call(method: string, path: string): Promise<{ status: number; body: string }> {
          return new Promise((resolve, reject) => {
            const req = request({ ...base, method, path, agent: false, timeout: 60_000 }, (res) => {
              const chunks: Buffer[] = [];
              res.on("data", (chunk: Buffer) => chunks.push(chunk));
              res.on("error", reject);
              res.on("end", () => {
                resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
              });
            });
            req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
            req.on("error", reject);
            req.end();
          });
        },
        async list(path: string): Promise<Record<string, unknown>[]> {
          const filters = encodeURIComponent(
            JSON.stringify({ label: Object.entries(selector).map(([key, value]) => `${key}=${value}`) }),
          );
          const res = await engine.call("GET", `${path}${path.includes("?") ? "&" : "?"}filters=${filters}`);
          if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.trim()}`);
          const parsed: unknown = JSON.parse(res.body);
          // Volumes come wrapped ({Volumes: [...], Warnings}); the others are bare arrays.
          const items =
            typeof parsed === "object" && parsed !== null && "Volumes" in parsed ? parsed.Volumes : parsed;
          return Array.isArray(items)
            ? items.filter((item) => typeof item === "object" && item !== null)
            : [];
        },
        async reap(
          kind: keyof ReapResult,
          listPath: string,
          key: string,
          deleteQuery: string,
        ): Promise<void> {
          for (const item of await engine.list(listPath)) {
            const id = item[key];
            if (typeof id !== "string" || id === "") continue;
            // The engine's filter is not trusted: Podman 4 ORs several label filters on volumes,
            // and an object is only deleted when its own labels say it belongs to the session.
            const labels = (
              typeof item.Labels === "object" && item.Labels !== null ? item.Labels : {}
            ) as Record<string, unknown>;
            if (!Object.entries(selector).every(([name, value]) => labels[name] === value)) continue;
            const path = `/${kind}/${encodeURIComponent(id)}${deleteQuery}`;
            try {
              // Podman's forced delete first waits out the stop timeout (10 s by default) for a
              // process that ignores SIGTERM; a kill first makes it immediate. Its answer does not
              // matter: a stopped container refuses it (409), and the delete decides.
              if (kind === "containers") {
                await engine
                  .call("POST", `/containers/${encodeURIComponent(id)}/kill`)
                  .catch(() => undefined);
              }
              const res = await engine.call("DELETE", path);
              if (res.status >= 200 && res.status < 300) removed[kind] += 1;
              else if (res.status !== 404) failures.push(`DELETE ${path}: ${res.status} ${res.body.trim()}`);
            } catch (error) {
              failures.push(`DELETE ${path}: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        },
      };
      await engine.reap("containers", "/containers/json?all=1", "Id", "?force=1&v=1");
      await engine.reap("networks", "/networks", "Id", "");
      await engine.reap("volumes", "/volumes", "Name", "?force=1");
    }
  } finally {
    for (const cleanup of cleanups) cleanup();
  }

  if (failures.length > 0) {
    const error = new Error(
      `reaping session ${sessionId} left ${failures.length} object(s): ${failures.join("; ")}`,
    );
    throw Object.assign(error, { removed });
  }
  return removed;
}
