/**
 * The state directory's disk fills up while sandboxes are created. The state directory is a small
 * tmpfs of its own (mounted here, so it needs root); the gateway (not ephemeral) starts on it and
 * makes a few sandboxes, then a file fills what is left and more sandboxes are asked for. The user
 * must get a clear SDK error, the gateway must stay up, and the store must not be corrupted: once
 * space is freed, `PRAGMA integrity_check` says ok and a new gateway on the same directory lists the
 * sandboxes it had, with their ids, and works.
 */
import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { ResourceExhaustedError, type Sandbox } from "../../src/index.js";
import { GATEWAY_LABEL } from "../../src/local/gateway-identity.js";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { IMAGE, removeBenchObjects } from "../shared/engine.js";
import { describe } from "../shared/gateway-child.js";
import { type GatewayProcess, startGatewayProcess } from "../shared/gateway-process.js";
import { nextName } from "../shared/sandbox-round.js";
import {
  checkUserError,
  deleteAll,
  expectEngineClean,
  expectNothingLeft,
  nextCallWorks,
  ScenarioRun,
} from "./soak-check.js";

const run = promisify(execFile);

/** Room for the database, the gateway's certificates, and a few sandboxes' records. */
const TMPFS_SIZE = "4m";
const BEFORE = 3;
const DURING = 4;

export async function diskFull(
  kind: "docker" | "podman",
  socketPath: string,
  runtime: ContainerRuntime,
  labels: Record<string, string>,
): Promise<ScenarioRun> {
  const scenario = new ScenarioRun(`disk-full state directory (tmpfs ${TMPFS_SIZE})`);
  if (process.getuid?.() !== 0) {
    scenario.fail("mounting a tmpfs needs root");
    return scenario;
  }
  const stateDir = mkdtempSync(join(tmpdir(), "openshell-soak-full-"));
  await run("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE},mode=0700`, "tmpfs", stateDir]);
  const filler = join(stateDir, "filler");
  const gateways: GatewayProcess[] = [];
  let gatewayId = "";
  try {
    const first = await startGatewayProcess({ runtime: kind, socketPath, stateDir, ephemeral: false });
    gateways.push(first);
    gatewayId = first.gatewayId;
    const os = await first.connect();
    const kept = new Map<string, string>();
    for (let i = 0; i < BEFORE; i++) {
      const sb = await os.sandboxes.create({
        name: nextName("before"),
        image: IMAGE,
        containerLabels: labels,
      });
      await sb.ready({ timeoutMs: 60_000 });
      kept.set(sb.name, await sb.id());
    }
    scenario.figure(`${BEFORE} sandboxes ready; the state directory then had ${freeKiB(stateDir)} KiB free`);

    const filled = fill(filler);
    scenario.figure(`filled with ${(filled / 1024).toFixed(0)} KiB: ${freeKiB(stateDir)} KiB free`);

    const during: Sandbox[] = [];
    for (let i = 0; i < DURING; i++) {
      const name = nextName("full");
      try {
        const sb = await os.sandboxes.create({ name, image: IMAGE, containerLabels: labels });
        during.push(sb);
        const ready = await sb.ready({ timeoutMs: 30_000 }).then(
          () => "ready",
          (error: unknown) => error,
        );
        if (ready === "ready") scenario.figure(`create ${name} went through to READY on a full disk`);
        else checkUserError(scenario, `ready() of ${name} on a full disk`, ready);
      } catch (error) {
        checkUserError(scenario, `create ${name} on a full disk`, error);
        // Clear: the SDK's class for it, naming the directory whose disk is full.
        scenario.check(
          error instanceof ResourceExhaustedError && error.message.includes(stateDir),
          `create on a full disk should be a ResourceExhaustedError naming ${stateDir}`,
        );
      }
    }
    const exec = await os.sandboxes
      .handle([...kept.keys()][0] as string)
      .exec(["echo", "still here"])
      .then(
        (r) => `exit ${r.exitCode}, ${JSON.stringify(r.stdout)}`,
        (error: unknown) => `failed: ${describe(error)}`,
      );
    scenario.figure(`exec in a sandbox made before, on a full disk: ${exec}`);
    scenario.check(first.pid > 0 && (await isRunning(first)), "the gateway process died on the full disk");
    const warnings = (await first.snapshot().catch(() => undefined))?.warnings ?? [];
    for (const w of warnings) scenario.figure(`gateway warning: ${w.name}: ${w.message}`);

    rmSync(filler);
    await sleep(500);
    scenario.figure(`space freed: ${freeKiB(stateDir)} KiB free`);
    await os.close();
    await first.close();
    const integrity = checkIntegrity(join(stateDir, "state.db"));
    scenario.check(integrity === "ok", `PRAGMA integrity_check: ${integrity}`);
    scenario.figure(`PRAGMA integrity_check after the episode: ${integrity}`);

    const second = await startGatewayProcess({ runtime: kind, socketPath, stateDir, ephemeral: false });
    gateways.push(second);
    const again = await second.connect();
    const listed = new Map((await again.sandboxes.list({ limit: 1000 })).map((s) => [s.name, s]));
    for (const [name, id] of kept) {
      const info = listed.get(name);
      scenario.check(info?.id === id, `${name} is not listed with its id after reopening (${info?.id})`);
    }
    const extra = [...listed.keys()].filter((name) => !kept.has(name));
    scenario.figure(
      `reopened: lists ${listed.size} sandbox(es): the ${BEFORE} made before` +
        `${extra.length ? ` and ${extra.length} asked for on the full disk (${extra.map((n) => listed.get(n)?.phase).join(", ")})` : ""}`,
    );
    await nextCallWorks(scenario, again, labels);
    await deleteAll(
      scenario,
      [...listed.keys()].map((name) => again.sandboxes.handle(name)),
    );
    await expectNothingLeft(scenario, again, runtime, gatewayId);
    await again.close();
  } catch (error) {
    scenario.fail(`the scenario broke off: ${describe(error)}`);
  } finally {
    const last = gateways[gateways.length - 1];
    await last?.close({ removeSandboxes: true }).catch((error: unknown) => scenario.fail(describe(error)));
    if (gatewayId) {
      await expectEngineClean(scenario, runtime, gatewayId);
      await removeBenchObjects(runtime, { [GATEWAY_LABEL]: gatewayId }).catch(() => undefined);
    }
    await run("umount", [stateDir]).catch((error: unknown) => scenario.fail(`umount: ${describe(error)}`));
    rmdirSync(stateDir);
  }
  return scenario;
}

/** Writes `path` until the disk says ENOSPC, in ever smaller pieces; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, "w");
  let written = 0;
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x2a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

const freeKiB = (dir: string) => {
  const s = statfsSync(dir);
  return ((s.bavail * s.bsize) / 1024).toFixed(0);
};

async function isRunning(gateway: GatewayProcess): Promise<boolean> {
  const exited = await Promise.race([gateway.exited.then(() => true), sleep(100).then(() => false)]);
  return !exited;
}

/** SQLite's own check of the database file, read-only, with no gateway running. */
function checkIntegrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}
