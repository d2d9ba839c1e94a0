import { createHash, randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CanceledError,
  CapabilityError,
  ContainerRuntimeError,
  InvalidArgumentError,
  NotFoundError,
} from "../../../src/errors.js";
import type { Capability } from "../../../src/runtime/capabilities.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import type { ContainerSpec } from "../../../src/runtime/container-spec.js";
import type { ContainerEvent } from "../../../src/runtime/event-types.js";
import type { LogLine } from "../../../src/runtime/log-types.js";
import type { NetworkInfo } from "../../../src/runtime/network-types.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import type { RuntimeTarget } from "./support/runtime-target.js";

const MiB = 1024 * 1024;

/** Reads a cgroup limit under v2 or v1, whichever the engine's host has. */
const cgroupRead = (v2: string, v1: string) =>
  `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`;

/**
 * What every ContainerRuntime driver must do, run for real against one engine. Each test says what
 * a user of the runtime sees; everything is created under the runtime's session and reaped after.
 */
export function describeRuntimeConformance(target: RuntimeTarget): void {
  describe(`ContainerRuntime conformance: ${target.name}`, () => {
    let runtime: ContainerRuntime;
    const image = target.busyboxImage;
    let counter = 0;
    const uniqueName = (base: string) => `os-${base}-${process.pid}-${++counter}`;

    /** A running busybox container that sleeps until removed. */
    const startIdle = async (spec: Partial<ContainerSpec> = {}): Promise<string> => {
      const { id } = await runtime.createContainer({ image, command: ["sleep", "3600"], ...spec });
      await runtime.startContainer(id);
      return id;
    };
    /**
     * Runs `body` when the runtime declares every capability in `needed`; otherwise checks that the
     * runtime refuses `attempt` with a CapabilityError naming what is missing. Either way the test
     * asserts something: a runtime may lack a capability, but must never ignore it silently.
     */
    const ifCapable = async (
      needed: Capability[],
      body: () => Promise<void>,
      attempt: () => Promise<unknown>,
    ): Promise<void> => {
      const missing = needed.filter((capability) => !runtime.capabilities.has(capability));
      if (missing.length === 0) return body();
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CapabilityError);
      expect((error as CapabilityError).missing).toEqual(expect.arrayContaining(missing));
    };
    /**
     * Waits for the container to stop: with its exit code where the runtime reports exit codes, and
     * by polling its state where it does not (waitContainer then refuses, which other tests check).
     */
    const untilStopped = async (id: string): Promise<number | null> => {
      if (runtime.capabilities.has("exit-codes")) return runtime.waitContainer(id);
      for (let polls = 0; polls < 300; polls += 1) {
        if (!(await runtime.inspectContainer(id)).running) return null;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`container ${id} was still running after 30 s`);
    };
    const sh = (id: string, script: string, extra: { user?: string } = {}) =>
      runExec(runtime, id, { command: ["sh", "-c", script], ...extra });

    beforeAll(async () => {
      runtime = await target.connect();
    });

    afterAll(async () => {
      if (runtime === undefined) return;
      await runtime.reap();
      await runtime.close();
    });

    it("answers ping and reports what it is", async () => {
      await runtime.ping();
      const info = await runtime.info();
      expect(info.kind).toBe(target.name);
      expect(info.version).toMatch(/\d+\.\d+/);
      expect(info.os).toBe("linux");
      expect(typeof info.rootless).toBe("boolean");
    });

    it("inspects a local image, and says NotFound for a missing one", async () => {
      const found = await runtime.inspectImage(image);
      expect(found.id).not.toBe("");
      expect(await runtime.hasImage(image)).toBe(true);
      expect(await runtime.hasImage("openshell-test/does-not-exist:0")).toBe(false);
      await expect(runtime.inspectImage("openshell-test/does-not-exist:0")).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it("runs the container lifecycle: create, start, stop, remove, with states and times", async () => {
      const name = uniqueName("life");
      const { id, name: created } = await runtime.createContainer({
        image,
        name,
        command: ["sleep", "3600"],
      });
      expect(created).toBe(name);
      const fresh = await runtime.inspectContainer(id);
      expect(fresh).toMatchObject({
        name,
        state: "created",
        running: false,
        exitCode: null,
        startedAt: null,
      });
      await runtime.startContainer(id);
      await runtime.startContainer(id); // idempotent
      const running = await runtime.inspectContainer(id);
      expect(running.state).toBe("running");
      expect(running.running).toBe(true);
      expect(running.startedAt).toBeInstanceOf(Date);
      await runtime.stopContainer(id, { timeoutSeconds: 1 });
      const stopped = await runtime.inspectContainer(id);
      expect(stopped.state).toBe("exited");
      await ifCapable(
        ["exit-codes"],
        async () => {
          expect(stopped.exitCode).not.toBeNull();
          expect(stopped.finishedAt).toBeInstanceOf(Date);
        },
        async () => {
          // Without exit codes nothing is made up: no code, and waiting for one is refused.
          expect(stopped.exitCode).toBeNull();
          return runtime.waitContainer(id);
        },
      );
      await runtime.removeContainer(id);
      await expect(runtime.inspectContainer(id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("reports the main process's exit code", async () => {
      const { id } = await runtime.createContainer({ image, command: ["sh", "-c", "exit 7"] });
      await runtime.startContainer(id);
      await ifCapable(
        ["exit-codes"],
        async () => {
          expect(await runtime.waitContainer(id)).toBe(7);
          expect((await runtime.inspectContainer(id)).exitCode).toBe(7);
        },
        () => runtime.waitContainer(id),
      );
      // Either way the container has stopped by then, and says no other code than its own.
      const stopped = await runtime.inspectContainer(id);
      expect(stopped.running).toBe(false);
      expect(stopped.exitCode).toBe(runtime.capabilities.has("exit-codes") ? 7 : null);
    });

    it("waits for a running container to stop, with its exit code; a missing one is NotFoundError", async () => {
      const { id } = await runtime.createContainer({ image, command: ["sh", "-c", "sleep 1; exit 5"] });
      await runtime.startContainer(id);
      await ifCapable(
        ["exit-codes"],
        async () => expect(await runtime.waitContainer(id)).toBe(5),
        () => runtime.waitContainer(id),
      );
      // A runtime without exit codes still waits for the stop before it refuses.
      expect((await runtime.inspectContainer(id)).running).toBe(false);
      await runtime.removeContainer(id, { force: true });
      await expect(runtime.waitContainer(id)).rejects.toMatchObject({ code: "not_found" });
    });

    it("refuses a second container with the same name with AlreadyExists", async () => {
      const name = uniqueName("dup");
      await runtime.createContainer({ image, name, command: ["true"] });
      await expect(runtime.createContainer({ image, name, command: ["true"] })).rejects.toMatchObject({
        code: "already_exists",
      });
    });

    it("labels what it creates with the session and lists by label", async () => {
      const marker = uniqueName("label");
      const id = await startIdle({ labels: { "test.openshell.ai/marker": marker } });
      const info = await runtime.inspectContainer(id);
      expect(info.labels).toMatchObject({ ...runtime.sessionLabels, "test.openshell.ai/marker": marker });
      const listed = await runtime.listContainers({ labels: { "test.openshell.ai/marker": marker } });
      expect(listed.map((c) => c.id)).toEqual([id]);
      expect(listed[0]?.state).toBe("running");
    });

    it("execs with separate stdout and stderr, env, workdir and exit code", async () => {
      const id = await startIdle();
      const result = await runExec(runtime, id, {
        command: ["sh", "-c", 'echo "out:$GREETING"; pwd; echo oops >&2; exit 3'],
        env: { GREETING: "hi" },
        workdir: "/tmp",
      });
      expect(result.exitCode).toBe(3);
      expect(result.stdout.toString()).toBe("out:hi\n/tmp\n");
      expect(result.stderr.toString()).toBe("oops\n");
    });

    it("passes stdin through to the process and half-closes it", async () => {
      const id = await startIdle();
      const result = await runExec(runtime, id, {
        command: ["sh", "-c", "cat; echo done"],
        stdin: "from stdin\n",
      });
      expect(result).toMatchObject({ exitCode: 0 });
      expect(result.stdout.toString()).toBe("from stdin\ndone\n");
    });

    it("runs an exec in a terminal of the requested size, and resizes it", async () => {
      const id = await startIdle();
      // A terminal with stdin is what an interactive shell needs; a runtime may refuse it.
      await ifCapable(
        ["interactive-tty"],
        async () => {
          // The command waits for a line first, so the size is set before it is read on every engine.
          const sized = await runtime.exec(id, {
            command: ["sh", "-c", "read go; stty size"],
            tty: true,
            stdin: true,
            terminalSize: { columns: 100, rows: 30 },
          });
          sized.stdin?.write("go\n");
          const sizedOutput: Buffer[] = [];
          for await (const chunk of sized.output) sizedOutput.push(chunk.data);
          expect(Buffer.concat(sizedOutput).toString()).toContain("30 100");

          const shell = await runtime.exec(id, { command: ["sh"], tty: true, stdin: true });
          const seen: Buffer[] = [];
          const reading = (async () => {
            for await (const chunk of shell.output) seen.push(chunk.data);
          })();
          await ifCapable(
            ["exec-resize"],
            async () => {
              await shell.resize({ columns: 50, rows: 20 });
              shell.stdin?.write("stty size; exit 0\n");
              await reading;
              expect((await shell.wait()).exitCode).toBe(0);
              expect(Buffer.concat(seen).toString()).toContain("20 50");
            },
            async () => {
              try {
                await shell.resize({ columns: 50, rows: 20 });
              } finally {
                shell.stdin?.write("exit 0\n");
                await reading;
              }
            },
          );
        },
        () => runtime.exec(id, { command: ["sh"], tty: true, stdin: true }),
      );
      if (runtime.capabilities.has("interactive-tty") || !runtime.capabilities.has("tty")) return;
      // Without stdin, the command still gets a terminal.
      const inTerminal = await runtime.exec(id, {
        command: ["sh", "-c", "test -t 1 && echo terminal"],
        tty: true,
      });
      const seen: Buffer[] = [];
      for await (const chunk of inTerminal.output) seen.push(chunk.data);
      expect((await inTerminal.wait()).exitCode).toBe(0);
      expect(Buffer.concat(seen).toString().trim()).toBe("terminal");
    });

    it("carries 10 MiB of exec stdout intact", async () => {
      const id = await startIdle();
      const made = await sh(id, "head -c 10485760 /dev/urandom > /tmp/blob && md5sum /tmp/blob");
      expect(made.exitCode).toBe(0);
      const expected = made.stdout.toString().split(" ")[0];
      const read = await runExec(runtime, id, { command: ["cat", "/tmp/blob"] });
      expect(read.exitCode).toBe(0);
      expect(read.stdout.length).toBe(10 * MiB);
      expect(createHash("md5").update(read.stdout).digest("hex")).toBe(expected);
    });

    it("ends an exec's output with an error within 2 s when the container is killed mid-exec", async () => {
      const id = await startIdle();
      const exec = await runtime.exec(id, {
        command: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"],
      });
      let killedAt = 0;
      let ticks = 0;
      const consumed = (async () => {
        for await (const chunk of exec.output) {
          ticks += 1;
          if (ticks === 3) {
            killedAt = Date.now();
            void runtime.killContainer(id);
          }
          void chunk;
        }
      })();
      const error = await consumed.then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - killedAt;
      expect(error).toBeInstanceOf(ContainerRuntimeError);
      expect(String((error as Error).message)).toMatch(/stopped while the command was running/);
      expect(elapsed).toBeLessThan(2_000);
      await expect(exec.wait()).rejects.toBeInstanceOf(ContainerRuntimeError);
    });

    it("stops an exec's output with CanceledError when the signal aborts", async () => {
      const id = await startIdle();
      const controller = new AbortController();
      const exec = await runtime.exec(id, { command: ["sleep", "60"], signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      await expect(exec.wait()).rejects.toBeInstanceOf(CanceledError);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it("reads logs with stdout and stderr apart, tail and timestamps, and follow ends when the container stops", async () => {
      const { id } = await runtime.createContainer({
        image,
        command: ["sh", "-c", "echo one; sleep 0.2; echo two >&2; sleep 1; echo three; sleep 0.5"],
      });
      await runtime.startContainer(id);
      const followed: LogLine[] = [];
      for await (const line of runtime.logs(id, { follow: true })) followed.push(line);
      // A runtime that keeps one log for both streams must say so with the capability.
      const apart = runtime.capabilities.has("log-stream-selection");
      expect(followed).toEqual([
        { stream: "stdout", text: "one" },
        { stream: apart ? "stderr" : "stdout", text: "two" },
        { stream: "stdout", text: "three" },
      ]);
      expect((await runtime.inspectContainer(id)).running).toBe(false);

      const tail: LogLine[] = [];
      for await (const line of runtime.logs(id, { tail: 1 })) tail.push(line);
      expect(tail.map((l) => l.text)).toEqual(["three"]);

      await ifCapable(
        ["log-since"],
        async () => {
          const later: LogLine[] = [];
          for await (const line of runtime.logs(id, { since: new Date(Date.now() + 60_000) }))
            later.push(line);
          expect(later).toEqual([]);
          const earlier: LogLine[] = [];
          for await (const line of runtime.logs(id, { since: new Date(Date.now() - 300_000) }))
            earlier.push(line);
          expect(earlier.map((l) => l.text)).toEqual(["one", "two", "three"]);
        },
        async () => {
          for await (const _ of runtime.logs(id, { since: new Date() })) {
            // refused before the first line
          }
        },
      );

      await ifCapable(
        ["log-timestamps"],
        async () => {
          const stamped: LogLine[] = [];
          for await (const line of runtime.logs(id, { timestamps: true, stderr: false })) stamped.push(line);
          expect(stamped.map((l) => l.text)).toEqual(["one", "three"]);
          for (const line of stamped) expect(line.timestamp?.getTime()).toBeGreaterThan(Date.now() - 120_000);
        },
        async () => {
          for await (const _ of runtime.logs(id, { timestamps: true })) {
            // refused before the first line
          }
        },
      );
    });

    it("stops following logs with CanceledError when the signal aborts", async () => {
      const id = await startIdle();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const follow = async () => {
        for await (const _ of runtime.logs(id, { follow: true, signal: controller.signal })) {
          // nothing is written
        }
      };
      await expect(follow()).rejects.toBeInstanceOf(CanceledError);
    });

    it("an ordinary network has egress, an internal one has none", async () => {
      await ifCapable(
        ["internal-networks"],
        async () => {
          // Egress means leaving this machine: the Debian mirror is the one outside host reachable
          // here. (The host's own addresses are no test: some engines let internal networks reach them.)
          const mirror = (await lookup("deb.debian.org", { family: 4 })).address;
          const probe = `printf 'HEAD / HTTP/1.0\\r\\nHost: deb.debian.org\\r\\n\\r\\n' | nc -w 3 ${mirror} 80 | head -n 1`;
          // A fresh network's forwarding rules can lag its first container (an engine restarted
          // beside another one editing iptables): retry for a while, and keep what nc said so a
          // failure explains itself.
          const probeWithRetries = `for i in $(seq 1 15); do out=$(${probe.replace(/-w 3/, "-w 5")} 2>/tmp/nc.err); [ -n "$out" ] && break; sleep 1; done; echo "$out"; cat /tmp/nc.err >&2; ip route >&2`;
          const open = await runtime.createNetwork({ name: uniqueName("open") });
          const closed = await runtime.createNetwork({ name: uniqueName("internal"), internal: true });
          expect(closed.internal).toBe(true);
          const listed = await runtime.listNetworks({ labels: runtime.sessionLabels });
          expect(listed.map((n) => n.name)).toEqual(expect.arrayContaining([open.name, closed.name]));

          const outside = await startIdle({ network: open.name });
          const egress = await sh(outside, probeWithRetries);
          expect(egress.stdout.toString(), egress.stderr.toString()).toMatch(/^HTTP\//);
          const inside = await startIdle({ network: closed.name });
          expect((await sh(inside, probe)).stdout.toString().trim()).toBe("");
          expect((await runtime.inspectContainer(inside)).addresses.map((a) => a.network)).toEqual([
            closed.name,
          ]);
        },
        () => runtime.createNetwork({ name: uniqueName("internal"), internal: true }),
      );
    });

    it("says an internal network's subnet and names its bridge as asked; refuses a bridge name Linux would not take", async () => {
      for (const bridgeName of ["os-0123456789abc", "os bridge"]) {
        const name = uniqueName("badbridge");
        const bad = await runtime
          .createNetwork({ name, internal: true, bridgeName })
          .catch((e: unknown) => e);
        expect(bad).toBeInstanceOf(InvalidArgumentError);
        expect((bad as InvalidArgumentError).field).toBe("bridgeName");
        expect((bad as Error).message).toMatch(/spec\.bridgeName/);
        // Refused before the engine was asked: no network of that name exists.
        expect((await runtime.listNetworks()).map((n) => n.name)).not.toContain(name);
      }
      await ifCapable(
        ["internal-networks"],
        async () => {
          const bridgeName = `osct${randomBytes(4).toString("hex")}`;
          let made: NetworkInfo | undefined;
          const refusedName = uniqueName("bridged");
          await ifCapable(
            ["network-bridge-name"],
            async () => {
              made = await runtime.createNetwork({ name: uniqueName("bridged"), internal: true, bridgeName });
              expect(made.bridge).toBe(bridgeName);
            },
            () => runtime.createNetwork({ name: refusedName, internal: true, bridgeName }),
          );
          if (made === undefined) {
            // Refused before the engine was asked; the subnet is still said without a bridge name.
            expect((await runtime.listNetworks()).map((n) => n.name)).not.toContain(refusedName);
            made = await runtime.createNetwork({ name: uniqueName("internal"), internal: true });
          }
          expect(made.internal).toBe(true);
          expect(made.subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
          // Podman's CNI backend assigns an internal network no gateway; Docker and Apple container
          // always do (Apple's is the host's side of the network).
          if (target.name !== "podman") expect(made.gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
          const network = made;
          const listed = (await runtime.listNetworks({ labels: runtime.sessionLabels })).find(
            (n) => n.name === network.name,
          );
          expect(listed).toEqual(network);
        },
        () => runtime.createNetwork({ name: uniqueName("bridged"), internal: true, bridgeName: "osct0" }),
      );
    });

    it("mounts a host folder read-only, a volume shared between containers, and tmpfs", async () => {
      await ifCapable(
        ["bind-mounts", "volumes", "tmpfs"],
        async () => {
          const dir = await mkdtemp(join(tmpdir(), "openshell-mount-"));
          try {
            await writeFile(join(dir, "hello.txt"), "from the host\n");
            const volume = await runtime.createVolume({ name: uniqueName("vol") });
            const writer = await startIdle({
              mounts: [
                { type: "bind", source: dir, target: "/host", readOnly: true },
                { type: "volume", source: volume.name, target: "/data" },
                { type: "tmpfs", target: "/scratch", sizeMiB: 8 },
              ],
            });
            expect((await sh(writer, "cat /host/hello.txt")).stdout.toString()).toBe("from the host\n");
            expect((await sh(writer, "echo x > /host/new")).exitCode).not.toBe(0);
            expect((await sh(writer, "echo persisted > /data/file")).exitCode).toBe(0);
            expect(
              (await sh(writer, "grep -c ' /scratch tmpfs' /proc/mounts")).stdout.toString().trim(),
            ).toBe("1");
            const reader = await startIdle({
              mounts: [{ type: "volume", source: volume.name, target: "/data" }],
            });
            expect((await sh(reader, "cat /data/file")).stdout.toString()).toBe("persisted\n");
            expect(
              (await runtime.listVolumes({ labels: runtime.sessionLabels })).map((v) => v.name),
            ).toContain(volume.name);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
        () => startIdle({ mounts: [{ type: "tmpfs", target: "/scratch" }] }),
      );
    });

    it("keeps a read-only root read-only, with a writable tmpfs", async () => {
      await ifCapable(
        ["read-only-root", "tmpfs"],
        async () => {
          const id = await startIdle({ readOnlyRoot: true, mounts: [{ type: "tmpfs", target: "/tmp" }] });
          const denied = await sh(id, "touch /root-file");
          expect(denied.exitCode).not.toBe(0);
          expect(denied.stderr.toString()).toMatch(/read-only/i);
          expect((await sh(id, "touch /tmp/ok && echo ok")).stdout.toString()).toBe("ok\n");
        },
        () => startIdle({ readOnlyRoot: true, mounts: [{ type: "tmpfs", target: "/tmp" }] }),
      );
    });

    it("runs as the requested user, for the container and per exec", async () => {
      const id = await startIdle({ user: "1000:1000" });
      expect((await sh(id, "id -u; id -g")).stdout.toString()).toBe("1000\n1000\n");
      expect((await sh(id, "id -u", { user: "0" })).stdout.toString()).toBe("0\n");
    });

    it("drops capabilities and sets no-new-privileges", async () => {
      await ifCapable(
        ["cap-add-drop", "no-new-privileges"],
        async () => {
          const full = await startIdle();
          const fullCaps = (await sh(full, "grep CapEff /proc/self/status")).stdout.toString();
          expect(fullCaps).not.toMatch(/0000000000000000/);
          const none = await startIdle({ capDrop: ["ALL"], noNewPrivileges: true });
          expect((await sh(none, "grep CapEff /proc/self/status")).stdout.toString()).toMatch(
            /CapEff:\s+0000000000000000/,
          );
          expect((await sh(none, "grep NoNewPrivs /proc/self/status")).stdout.toString()).toMatch(
            /NoNewPrivs:\s+1/,
          );
          const noChown = await startIdle({ capDrop: ["CHOWN"] });
          expect((await sh(noChown, "touch /tmp/f && chown 1000 /tmp/f")).exitCode).not.toBe(0);
        },
        () => startIdle({ capDrop: ["ALL"], noNewPrivileges: true }),
      );
    });

    it("applies cpu, memory and pids limits visibly inside the container", async () => {
      await ifCapable(
        ["resource-limits", "pids-limit"],
        async () => {
          const id = await startIdle({ resources: { cpus: 0.5, memoryMiB: 64, pidsLimit: 50 } });
          const memory = await sh(id, cgroupRead("memory.max", "memory/memory.limit_in_bytes"));
          expect(memory.stdout.toString().trim()).toBe(String(64 * MiB));
          const cpu = await sh(id, cgroupRead("cpu.max", "cpu/cpu.cfs_quota_us"));
          expect(cpu.stdout.toString().trim()).toMatch(/^50000( 100000)?$/);
          const pids = await sh(id, cgroupRead("pids.max", "pids/pids.max"));
          expect(pids.stdout.toString().trim()).toBe("50");
        },
        () => startIdle({ resources: { cpus: 0.5, memoryMiB: 64, pidsLimit: 50 } }),
      );
    });

    it("sets entrypoint, workdir and extra hosts for the main process", async () => {
      const { id } = await runtime.createContainer({
        image,
        entrypoint: ["sh", "-c"],
        command: ["pwd; echo $0 $1", "first", "second"],
        workdir: "/tmp",
      });
      await runtime.startContainer(id);
      expect(await untilStopped(id)).toBe(runtime.capabilities.has("exit-codes") ? 0 : null);
      const lines: string[] = [];
      for await (const line of runtime.logs(id)) lines.push(line.text);
      expect(lines).toEqual(["/tmp", "first second"]);

      await ifCapable(
        ["extra-hosts"],
        async () => {
          const withHosts = await startIdle({
            extraHosts: [{ host: "gateway.openshell.test", ip: "10.11.12.13" }],
          });
          expect((await sh(withHosts, "grep gateway.openshell.test /etc/hosts")).stdout.toString()).toMatch(
            /^10\.11\.12\.13\s+gateway\.openshell\.test/,
          );
        },
        () => startIdle({ extraHosts: [{ host: "gateway.openshell.test", ip: "10.11.12.13" }] }),
      );
    });

    it("reports a container address this host can reach, where the runtime says it can", async () => {
      const id = await startIdle({ command: ["sh", "-c", "while true; do echo pong | nc -l -p 7000; done"] });
      const info = await runtime.inspectContainer(id);
      const address = info.addresses.find((a) => a.ipv4 !== "")?.ipv4;
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      if (!runtime.capabilities.has("container-address")) return; // rootless or remote: not routable
      const ask = () =>
        new Promise<string>((resolve, reject) => {
          const socket = connect({ host: address as string, port: 7000 });
          let text = "";
          socket.setTimeout(5_000, () => socket.destroy(new Error("no answer within 5 s")));
          socket.on("data", (data) => {
            text += data.toString();
          });
          socket.on("end", () => resolve(text));
          socket.on("error", reject);
        });
      // The listener may not be up yet the moment the container starts.
      let reply = "";
      for (let attempt = 0; attempt < 10 && reply === ""; attempt += 1) {
        reply = await ask().catch(() => new Promise<string>((resolve) => setTimeout(() => resolve(""), 200)));
      }
      expect(reply.trim()).toBe("pong");
    });

    it("publishes a port on loopback and reports where", async () => {
      await ifCapable(
        ["port-publishing"],
        async () => {
          const id = await startIdle({ ports: [{ containerPort: 8080 }] });
          const ports = (await runtime.inspectContainer(id)).ports;
          expect(ports).toHaveLength(1);
          expect(ports[0]).toMatchObject({ containerPort: 8080, protocol: "tcp", hostIp: "127.0.0.1" });
          expect(ports[0]?.hostPort).toBeGreaterThan(0);
        },
        () => startIdle({ ports: [{ containerPort: 8080 }] }),
      );
    });

    it("watches container events by label", async () => {
      const marker = uniqueName("watch");
      const controller = new AbortController();
      const events: ContainerEvent[] = [];
      const watching = (async () => {
        for await (const event of runtime.watchContainers({
          labels: { "test.openshell.ai/marker": marker },
          signal: controller.signal,
        })) {
          events.push(event);
          if (event.action === "die") controller.abort();
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await startIdle({
        command: ["sh", "-c", "sleep 0.3; exit 4"],
        labels: { "test.openshell.ai/marker": marker },
      });
      await watching;
      expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["create", "start", "die"]));
      // A runtime without exit codes says the container died, with no code rather than a made-up one.
      expect(events.find((e) => e.action === "die")?.exitCode).toBe(
        runtime.capabilities.has("exit-codes") ? 4 : undefined,
      );
      expect(events.every((e) => e.labels["test.openshell.ai/marker"] === marker)).toBe(true);
    });

    it("refuses what it cannot do before creating anything, and validates inputs by field", async () => {
      const before = (await runtime.listContainers({ labels: runtime.sessionLabels })).length;
      if (!runtime.capabilities.has("gpus")) {
        expect(() => runtime.require(["exec", "gpus"])).toThrow(CapabilityError);
        const error = await runtime.createContainer({ image, gpus: "all" }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CapabilityError);
        expect(error).toMatchObject({ runtime: target.name, missing: ["gpus"] });
      }
      runtime.require(["exec", "networks", "read-only-root"]);
      const bad = await runtime.createContainer({ image, name: "-bad name" }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(InvalidArgumentError);
      expect((bad as InvalidArgumentError).field).toBe("name");
      expect((bad as Error).message).toMatch(/spec\.name/);
      expect((await runtime.listContainers({ labels: runtime.sessionLabels })).length).toBe(before);
    });

    it("reaps everything of a session: containers, networks and volumes", async () => {
      const other = await target.connect();
      await other
        .createContainer({ image, command: ["sleep", "3600"] })
        .then(({ id }) => other.startContainer(id));
      await other.createNetwork({ name: uniqueName("reap") });
      await other.createVolume({ name: uniqueName("reap") });
      const mine = await startIdle();
      const result = await runtime.reap({ sessionId: other.sessionId });
      expect(result).toEqual({ containers: 1, networks: 1, volumes: 1 });
      expect(await other.listContainers({ labels: other.sessionLabels })).toEqual([]);
      expect(await other.listNetworks({ labels: other.sessionLabels })).toEqual([]);
      expect(await other.listVolumes({ labels: other.sessionLabels })).toEqual([]);
      expect((await runtime.inspectContainer(mine)).running).toBe(true);
    });

    it("writes random bytes through stdin and reads them back intact", async () => {
      const id = await startIdle();
      const payload = randomBytes(256 * 1024);
      const result = await runExec(runtime, id, { command: ["cat"], stdin: payload });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.equals(payload)).toBe(true);
    });
  });
}
