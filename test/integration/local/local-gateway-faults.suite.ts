import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  OpenShell,
  OpenShellError,
  RuntimeNotFoundError,
  SandboxFailedError,
} from "../../../src/index.js";
import { SANDBOX_ID_LABEL, SANDBOX_NAME_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import { testImages } from "../../support/test-engines.js";
import {
  containerOfSandbox,
  IDLE,
  type LocalSuiteContext,
  leftovers,
  uniqueName,
  until,
} from "./local-gateway-support.js";

/** A registry that answers (scripts/engines.sh runs it) and has no such image: a fast, definite miss. */
const missingImage = `${process.env.OPENSHELL_TEST_REGISTRY ?? "127.0.0.1:5000"}/openshell-test/missing:1`;

/**
 * Bad input and faults: each answered with the gateway's error class and a message that says what to
 * do, and nothing left half-made in the runtime or the gateway's records.
 */
export function describeLocalGatewayFaults(context: LocalSuiteContext): void {
  describe("bad input and faults", () => {
    let os: OpenShell;
    let gatewayId: string;

    beforeAll(async () => {
      os = await OpenShell.local({ ...context.local, ephemeral: true });
      gatewayId = os.localGateway?.gatewayId ?? "";
    });
    afterAll(async () => {
      await os?.close();
      if (gatewayId) expect(await leftovers(context.runtime(), gatewayId)).toEqual([]);
    });

    /** Nothing of a sandbox by that name: no record, no container. */
    async function expectNothingNamed(name: string): Promise<void> {
      expect((await os.sandboxes.list()).map((s) => s.name)).not.toContain(name);
      expect(await context.runtime().listContainers({ labels: { [SANDBOX_NAME_LABEL]: name } })).toEqual([]);
    }

    /** What a raw CreateSandbox answers (the gateway's own validation, without the client's). */
    async function rawCreate(name: string, spec: Record<string, unknown>): Promise<ConnectError> {
      const error = await os.raw.openshell
        .createSandbox({ name, spec: { template: { image: testImages.sandbox }, ...spec } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      return error as ConnectError;
    }

    it("refuses names that are not DNS-1123 labels of at most 19 characters", async () => {
      for (const name of ["Upper", "a".repeat(20), "a--b", "-lead", "trail-", "under_score"]) {
        const error = await os.sandboxes.create({ name, image: testImages.sandbox }).catch((e: unknown) => e);
        expect(error, name).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field).toBe("name");

        const raw = await rawCreate(name, {});
        expect(raw.code, name).toBe(Code.InvalidArgument);
        expect(raw.rawMessage).toMatch(
          name.length > 19
            ? /longer than 19 characters/
            : /must be a DNS-1123 label: lowercase letters, digits and single "-"/,
        );
        await expectNothingNamed(name);
      }
    });

    it("refuses an environment, a command or a provider list over the limits", async () => {
      const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`K${i}`, "v"]));
      const name = uniqueName("limits");
      const tooMany = await os.sandboxes
        .create({ name, image: testImages.sandbox, env: many })
        .catch((e: unknown) => e);
      expect(tooMany).toBeInstanceOf(InvalidArgumentError);
      expect((tooMany as Error).message).toMatch(/128/);
      const tooLong = await os.sandboxes
        .create({ name, image: testImages.sandbox, env: { BIG: "x".repeat(8 * 1024 + 1) } })
        .catch((e: unknown) => e);
      expect(tooLong).toBeInstanceOf(InvalidArgumentError);
      expect((tooLong as Error).message).toMatch(/8 KiB/);

      const cases: [Record<string, unknown>, RegExp][] = [
        [{ environment: many }, /spec\.environment has 129 entries, more than 128/],
        [{ environment: { ["K".repeat(257)]: "v" } }, /spec\.environment key .* longer than 256 bytes/],
        [
          { template: { image: testImages.sandbox, environment: { BIG: "x".repeat(8193) } } },
          /spec\.template\.environment\["BIG"\] is longer than 8192 bytes/,
        ],
        [
          { command: Array.from({ length: 257 }, () => "x") },
          /spec\.command has 257 arguments, more than 256/,
        ],
        [{ providers: Array.from({ length: 33 }, (_, i) => `p${i}`) }, /spec\.providers has 33 entries/],
      ];
      for (const [spec, message] of cases) {
        const raw = await rawCreate(name, spec);
        expect(raw.code).toBe(Code.InvalidArgument);
        expect(raw.rawMessage).toMatch(message);
      }
      await expectNothingNamed(name);
    });

    it("refuses an unknown provider with FailedPreconditionError, saying how to make it", async () => {
      const name = uniqueName("noprov");
      const error = await os.sandboxes
        .create({ name, image: testImages.sandbox, providers: ["no-such-provider"] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FailedPreconditionError);
      expect((error as Error).message).toMatch(/provider "no-such-provider" not found/);
      expect((error as Error).message).toMatch(/create it first/);
      await expectNothingNamed(name);
    });

    it("refuses a spec without an image when the gateway has no default image", async () => {
      const name = uniqueName("noimage");
      const error = await os.sandboxes.create({ name, command: IDLE }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/spec\.template\.image/);
      expect((error as Error).message).toMatch(/defaultImage/);
      await expectNothingNamed(name);
    });

    it("fails ready() with ImageNotFound for an image no registry has, and deletes cleanly", async () => {
      const sb = await os.sandboxes.create({ name: uniqueName("noimg"), image: missingImage });
      const error = await sb.ready({ timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SandboxFailedError);
      expect(error).toMatchObject({ phase: "error", reason: "ImageNotFound" });
      expect((error as Error).message).toContain(missingImage);
      expect((error as Error).message).toMatch(/build or load it/);
      const id = await sb.id();
      expect(await context.runtime().listContainers({ labels: { [SANDBOX_ID_LABEL]: id } })).toEqual([]);
      const logs = await sb.logs({ sources: ["gateway"] });
      expect(logs.some((l) => l.level === "ERROR" && l.message.includes(missingImage))).toBe(true);
      await sb.delete();
      await sb.deleted({ timeoutMs: 10_000 });
      await expectNothingNamed(sb.name);
    });

    it("fails ready() naming the image when it cannot be pulled at all", async () => {
      // Docker Hub is out of reach here (or says the repository does not exist): either way, an image problem.
      const image = "openshell-test/not-anywhere:1";
      const sb = await os.sandboxes.create({ name: uniqueName("nopull"), image });
      const error = await sb.ready({ timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SandboxFailedError);
      expect((error as SandboxFailedError).reason).toMatch(/^Image(NotFound|PullFailed)$/);
      expect((error as Error).message).toContain(image);
      await sb.delete();
      await sb.deleted({ timeoutMs: 10_000 });
      await expectNothingNamed(sb.name);
    });

    it("fails ready() with CommandNotFound naming a command the image lacks, and deletes cleanly", async () => {
      for (const command of [["no-such-command-xyz", "--flag"], ["/opt/nothing/here"]]) {
        const sb = await os.sandboxes.create({
          name: uniqueName("nocmd"),
          image: testImages.sandbox,
          command,
        });
        const error = await sb.ready({ timeoutMs: 30_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SandboxFailedError);
        expect(error).toMatchObject({ phase: "error", reason: "CommandNotFound" });
        expect((error as Error).message).toContain(`"${command[0]}"`);
        expect((error as Error).message).toContain(testImages.sandbox);
        expect((await sb.refresh()).phase).toBe("error");
        await sb.delete();
        await sb.deleted({ timeoutMs: 10_000 });
        await expectNothingNamed(sb.name);
      }
    });

    it("lets exactly one of racing creates of one name win", async () => {
      const name = uniqueName("race");
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () =>
          os.sandboxes.create({ name, image: testImages.sandbox, command: IDLE }),
        ),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      expect(won.length).toBe(1);
      expect(lost.length).toBe(3);
      for (const error of lost) {
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect((error as Error).message).toMatch(new RegExp(`"${name}" already exists.*Pick another name`));
      }
      const sb = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<OpenShell["sandboxes"]["create"]>>>)
        .value;
      await sb.ready({ timeoutMs: 30_000 });
      expect(await context.runtime().listContainers({ labels: { [SANDBOX_NAME_LABEL]: name } })).toHaveLength(
        1,
      );
      await sb.delete();
      await sb.deleted({ timeoutMs: 10_000 });
      await expectNothingNamed(name);
    });

    it("leaves nothing when a sandbox is deleted while it is still being provisioned", async () => {
      const names = Array.from({ length: 3 }, () => uniqueName("hasty"));
      await Promise.all(
        names.map(async (name) => {
          const sb = await os.sandboxes.create({ name, image: testImages.sandbox, command: IDLE });
          await sb.delete();
          await sb.deleted({ timeoutMs: 20_000 });
        }),
      );
      for (const name of names) await expectNothingNamed(name);
    });

    it("refuses exec on a stopped sandbox with FailedPreconditionError", async () => {
      const sb = await os.sandboxes.create({ name: uniqueName("stopped"), image: testImages.sandbox });
      await sb.ready({ timeoutMs: 30_000 });
      await sb.stop();
      await until("the sandbox to stop", async () =>
        (await sb.refresh()).phase === "stopped" ? true : undefined,
      );
      const error = await sb.exec(["true"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FailedPreconditionError);
      expect((error as Error).message).toMatch(/not ready/);
      await sb.start();
      await sb.ready({ timeoutMs: 30_000 });
      expect((await sb.exec(["echo", "back"])).stdout).toBe("back\n");
      await sb.delete();
    });

    it("ends an exec whose container is killed under it, and reports the sandbox ERROR", async () => {
      const sb = await os.sandboxes.create({
        name: uniqueName("killed"),
        image: testImages.sandbox,
        command: IDLE,
      });
      await sb.ready({ timeoutMs: 30_000 });
      const container = await containerOfSandbox(context.runtime(), await sb.id());
      const events = sb.execStream(["sh", "-c", "echo started; sleep 30"]);
      const first = await events.next();
      expect(first.value).toMatchObject({ type: "stdout" });
      const killedAt = Date.now();
      await context.runtime().killContainer(container.id);
      let outcome: unknown;
      try {
        for await (const event of events) if (event.type === "exit") outcome = event;
      } catch (error) {
        outcome = error;
      }
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(OpenShellError);
      else expect(outcome).toMatchObject({ type: "exit", exitCode: expect.any(Number) });

      // The gateway hears of the kill from the runtime's events, a moment after the exec ended.
      const info = await until("the sandbox to turn ERROR", async () => {
        const now = await sb.refresh();
        return now.phase === "error" ? now : undefined;
      });
      // SIGKILL's 137 where the runtime reports exit codes; where it reports none (Apple container),
      // the sandbox has ended with its outcome unknown, and no code is made up.
      const ended = context.engine.exitCodes
        ? { reason: "MainProcessFailed", exitCode: 137 }
        : { reason: "MainProcessExited", exitCode: undefined };
      expect(info).toMatchObject(ended);
      const failed = await sb.ready({ timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SandboxFailedError);
      expect(failed).toMatchObject(ended);
      await expect(sb.exec(["true"])).rejects.toBeInstanceOf(FailedPreconditionError);
      await sb.delete();
      await sb.deleted({ timeoutMs: 10_000 });
    });

    it("fails to start over an engine that is not there, with a clear error and no state left behind", async () => {
      const base = context.tempDir("local-nowhere");
      const absent = context.engine.absent();
      const stateDir = join(base, "state");
      const error = await OpenShell.local({ ...absent.options, stateDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeNotFoundError);
      for (const part of absent.says) expect((error as Error).message).toContain(part);
      expect(existsSync(stateDir)).toBe(false);

      // A state directory that was already there is left as it was.
      const existing = join(base, "existing");
      mkdirSync(existing);
      await expect(OpenShell.local({ ...absent.options, stateDir: existing })).rejects.toBeInstanceOf(
        RuntimeNotFoundError,
      );
      expect(readdirSync(existing)).toEqual([]);

      // An ephemeral gateway's temporary directory goes too.
      const tmp = join(base, "tmp");
      mkdirSync(tmp);
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      try {
        await expect(OpenShell.local({ ...absent.options, ephemeral: true })).rejects.toBeInstanceOf(
          RuntimeNotFoundError,
        );
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
      expect(readdirSync(tmp)).toEqual([]);
      // And the gateway that is running is untouched.
      expect((await os.health()).status).toBe("healthy");
    });
  });
}
