/**
 * An engine process of the soak's own, so that it can really be killed (SIGKILL) and started again
 * without touching the engine other work on this machine uses:
 *
 * - docker: a second `dockerd` with its own socket, data root, exec root (and so its own managed
 *   containerd) and pid file; no iptables rules (the shared dockerd owns those; local mode makes its
 *   own internal network and firewall), a default bridge of its own (`ossoak0`, made here), an
 *   address pool apart from the shared engine's, and live restore. A dockerd deletes the host's
 *   `docker0` (which the shared engine's containers need) whatever its own bridge is called, in two
 *   cases: started with `--bridge=none`, and started again (as the soak does after the kill) with a
 *   default address pool and without live restore (moby's "clear stale bridge network" at start).
 *   Hence no `--bridge=none`, `--live-restore`, and a check around every start and stop that puts
 *   `docker0` back and says so should a dockerd remove it anyway. Its data root stays between runs,
 *   so the sandbox image is imported once (from scripts/engines.sh's cached busybox rootfs).
 * - podman: a second `podman system service` on a socket of its own. Podman keeps no daemon state:
 *   the service is the engine process a client talks to, over the same storage as the shared one
 *   (containers outlive it, with conmon, as they do when a real service dies).
 *
 * Started as scripts/engines.sh starts the shared ones (from /, output to a log file).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { IMAGE } from "../shared/engine.js";

const run = promisify(execFile);

const ROOT = "/run/openshell-soak";
/** The private dockerd's default bridge, made before it starts (dockerd adopts a named bridge). */
const DOCKER_BRIDGE = { name: "ossoak0", address: "10.214.0.1/24" };
const DOCKER_DATA_ROOT = "/var/lib/openshell-soak/docker";
const LOG_DIR = process.env.ENGINE_LOG_DIR ?? "/var/log/openshell-test";
/** scripts/engines.sh's cache of the busybox rootfs the test images are made from. */
const BUSYBOX_ROOTFS = join(
  process.env.OPENSHELL_IMAGE_CACHE ?? "/var/cache/openshell-test",
  "busybox-rootfs.tar",
);

export interface PrivateEngine {
  readonly kind: "docker" | "podman";
  readonly socketPath: string;
  /** The engine process's pid while it runs. */
  pid(): number | undefined;
  /** Starts the engine process and waits until it answers (ms it took). */
  start(): Promise<number>;
  /** Sends `signal` to the engine process and waits until it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Stops it for good (SIGTERM, as a service manager would). */
  stop(): Promise<void>;
}

/** Engines started and not yet stopped, for a Ctrl-C to stop. */
const running = new Set<PrivateEngine>();

/** Stops every private engine still running (on Ctrl-C or a crash of the soak). */
export async function stopPrivateEngines(): Promise<void> {
  await Promise.allSettled([...running].map((engine) => engine.stop()));
}

export function privateEngine(kind: "docker" | "podman"): PrivateEngine {
  const socketPath = join(ROOT, `${kind}.sock`);
  const pidFile = join(ROOT, `${kind}.pid`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const argv =
    kind === "docker"
      ? [
          "dockerd",
          `--host=unix://${socketPath}`,
          `--data-root=${DOCKER_DATA_ROOT}`,
          `--exec-root=${join(ROOT, "docker")}`,
          `--pidfile=${pidFile}`,
          `--bridge=${DOCKER_BRIDGE.name}`,
          "--iptables=false",
          "--ip6tables=false",
          // Nothing of the soak resolves host-gateway to reach the host; any address satisfies Docker.
          "--host-gateway-ip=127.0.0.1",
          "--default-address-pool=base=10.213.0.0/16,size=24",
          // Without it, a restart with an address pool deletes the host's docker0 (see above).
          "--live-restore",
        ]
      : ["podman", "system", "service", "--time=0", `unix://${socketPath}`];

  const engine: PrivateEngine = {
    kind,
    socketPath,
    pid: () => (child?.exitCode === null && child.signalCode === null ? child.pid : undefined),
    async start() {
      const t = performance.now();
      mkdirSync(ROOT, { recursive: true });
      mkdirSync(LOG_DIR, { recursive: true });
      // A killed dockerd leaves its pid file (and the next one refuses to start) and a killed
      // service its socket file: both are ours, and our process is gone.
      rmSync(pidFile, { force: true });
      rmSync(socketPath, { force: true });
      const docker0 = kind === "docker" ? await hostDocker0() : undefined;
      if (kind === "docker") {
        await ensureBridge();
        clearDeadContainerd();
      }
      const log = openSync(join(LOG_DIR, `soak-${kind}.log`), "a");
      const started = spawn(argv[0] as string, argv.slice(1), { cwd: "/", stdio: ["ignore", log, log] });
      child = started;
      running.add(engine);
      exited = new Promise((resolve) => started.once("exit", () => resolve()));
      const deadline = Date.now() + 60_000;
      while (!(await answers(socketPath))) {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(
            `the soak's ${kind} engine exited at start (log: ${join(LOG_DIR, `soak-${kind}.log`)})`,
          );
        }
        if (Date.now() > deadline) throw new Error(`the soak's ${kind} engine did not answer within 60 s`);
        await sleep(200);
      }
      if (docker0 !== undefined) await keepDocker0(docker0);
      return performance.now() - t;
    },
    async kill(signal) {
      if (engine.pid() === undefined) return;
      child?.kill(signal);
      await exited;
    },
    async stop() {
      const docker0 = kind === "docker" ? await hostDocker0() : undefined;
      await engine.kill("SIGTERM");
      if (docker0 !== undefined) await keepDocker0(docker0);
      running.delete(engine);
      // dockerd bind-mounts its data root onto itself and leaves the mount behind when it stops.
      if (kind === "docker" && readFileSync("/proc/mounts", "utf8").includes(` ${DOCKER_DATA_ROOT} `)) {
        await run("umount", [DOCKER_DATA_ROOT]).catch(() => undefined);
      }
    },
  };
  return engine;
}

/** The private dockerd's bridge, with its address, up; left in place between runs. */
async function ensureBridge(): Promise<void> {
  const { name, address } = DOCKER_BRIDGE;
  await run("ip", ["link", "add", "name", name, "type", "bridge"]).catch((error: { stderr?: string }) => {
    if (!/exists/i.test(error.stderr ?? "")) throw error;
  });
  await run("ip", ["address", "replace", address, "dev", name]);
  await run("ip", ["link", "set", name, "up"]);
}

/**
 * A killed dockerd takes its managed containerd with it, whose pid file stays. On this machine no
 * init reaps orphans, so that containerd lingers as a zombie: the next dockerd reads the pid, takes
 * it for a running containerd, waits for its socket and gives up ("timeout waiting for containerd to
 * start"). The pid file of a containerd that is gone or a zombie is removed, so a new one starts.
 */
function clearDeadContainerd(): void {
  const pidFile = join(ROOT, "docker", "containerd", "containerd.pid");
  if (!existsSync(pidFile)) return;
  const pid = readFileSync(pidFile, "utf8").trim();
  const stat = `/proc/${pid}/stat`;
  // The state follows the parenthesised command name: "pid (name) S ...".
  const state = existsSync(stat) ? readFileSync(stat, "utf8").split(") ")[1]?.[0] : undefined;
  if (state === undefined || state === "Z") rmSync(pidFile, { force: true });
}

/** The shared engine's bridge: its IPv4 addresses (CIDR), or undefined when the host has none. */
async function hostDocker0(): Promise<string[] | undefined> {
  const out = await run("ip", ["-j", "address", "show", "dev", "docker0"]).catch(() => undefined);
  if (out === undefined) return undefined;
  const [link] = JSON.parse(out.stdout) as {
    addr_info?: { family: string; local: string; prefixlen: number }[];
  }[];
  return (link?.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * Puts the shared engine's `docker0` back (same name and addresses) if the private dockerd removed
 * it, and fails the run saying so: the shared engine's containers cannot start without it.
 */
async function keepDocker0(addresses: string[]): Promise<void> {
  if ((await hostDocker0()) !== undefined) return;
  await run("ip", ["link", "add", "name", "docker0", "type", "bridge"]);
  for (const address of addresses) await run("ip", ["address", "add", address, "dev", "docker0"]);
  await run("ip", ["link", "set", "docker0", "up"]);
  throw new Error(
    "the soak's dockerd removed the host's docker0 (the shared engine's bridge); it was put back",
  );
}

/** Whether the engine answers `GET /_ping` on its socket. */
function answers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A driver on the private engine, with the sandbox image in it (imported once for docker). */
export async function privateRuntime(engine: PrivateEngine): Promise<ContainerRuntime> {
  const runtime = await createRuntime({
    runtime: engine.kind,
    endpoint: { kind: "unix", socketPath: engine.socketPath },
  });
  if (!(await runtime.hasImage(IMAGE))) {
    if (engine.kind !== "docker")
      throw new Error(`${IMAGE} is missing from podman (bash scripts/engines.sh)`);
    await run("docker", [
      "-H",
      `unix://${engine.socketPath}`,
      "import",
      "--change",
      'CMD ["/bin/sh"]',
      "--change",
      "USER 1000:1000",
      "--change",
      "WORKDIR /sandbox",
      BUSYBOX_ROOTFS,
      IMAGE,
    ]);
  }
  return runtime;
}
