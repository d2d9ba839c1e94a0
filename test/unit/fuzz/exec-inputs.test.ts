import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecRunOptions } from "../../../src/client/exec/exec-options.js";
import type { OpenShell } from "../../../src/client/open-shell.js";
import type { ForwardOptions } from "../../../src/client/sandboxes/port-forward.js";
import type { Sandbox } from "../../../src/client/sandboxes/sandbox.js";
import type { FollowLogsOptions, ReadLogsOptions } from "../../../src/client/sandboxes/sandbox-logs.js";
import type {
  ExecSandboxInput,
  ExecSandboxRequest,
  GetSandboxLogsRequest,
  WatchSandboxRequest,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  caseCounter,
  expectGivenWasSent,
  expectNamedRejection,
  hostileRecord,
  hostileValue,
  keysOf,
  optionsOf,
  runs,
  settings,
  settle,
  timeFor,
} from "./fuzz-support.js";
import { type RecordingGateway, startRecordingGateway } from "./recording-gateway.js";
import * as valid from "./valid-inputs.js";

const cases = caseCounter("exec-inputs");

const execRuns = runs(300);
const interactiveRuns = runs(200);
const forwardRuns = runs(150);
const logsRuns = runs(200);

const command = fc.oneof(
  { weight: 3, arbitrary: valid.command },
  { weight: 2, arbitrary: fc.array(fc.oneof(valid.argument, hostileValue), { maxLength: 4 }) },
  { weight: 1, arbitrary: hostileValue },
);

const execOptions = optionsOf({
  workdir: valid.text(30),
  env: fc.oneof(valid.env, hostileRecord(fc.oneof(valid.text(10), hostileValue))),
  timeoutSeconds: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  tty: fc.boolean(),
  cols: fc.integer({ min: 1, max: 10_000 }),
  rows: fc.integer({ min: 1, max: 10_000 }),
  stdin: fc.oneof(valid.text(30), fc.uint8Array({ maxLength: 30 })),
  handshakeTimeoutMs: fc.integer({ min: 5_000, max: 60_000 }),
});

describe("fuzz: exec, forward and logs inputs over a real HTTP/2 gateway", () => {
  let gateway: RecordingGateway;
  let os: OpenShell;
  let sandbox: Sandbox;
  beforeAll(async () => {
    gateway = await startRecordingGateway();
    os = await gateway.client();
    // A handle that knows its id, so every call below is one stream or none.
    sandbox = await os.sandboxes.get("fuzz");
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  it(
    `exec: sends the command and options as given, or rejects naming the argument or option (${execRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          command,
          fc.oneof({ weight: 6, arbitrary: execOptions }, { weight: 1, arbitrary: hostileValue }),
          async (argv, options) => {
            cases.count();
            const streams = gateway.streams();
            const recorded = gateway.requests.length;
            const result = await settle(() => sandbox.exec(argv as string[], options as ExecRunOptions));
            if (!result.ok) {
              expectNamedRejection(result.error, "exec options", ["command", ...keysOf(options)]);
              expect(gateway.streams()).toBe(streams);
              return;
            }
            expect(result.value.exitCode).toBe(0);
            const sent = gateway.sent<ExecSandboxRequest>(recorded);
            const o = (options ?? {}) as Record<string, unknown>;
            expectGivenWasSent(argv, sent.command, "command");
            expectGivenWasSent(o.env, sent.environment, "env");
            expectGivenWasSent(o.workdir, sent.workdir, "workdir");
            expectGivenWasSent(o.timeoutSeconds, sent.timeoutSeconds, "timeoutSeconds");
            const stdin = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin;
            expectGivenWasSent(stdin, sent.stdin, "stdin");
          },
        ),
        settings(execRuns),
      );
    },
    timeFor(execRuns, 20),
  );

  it(
    `execInteractive: stdin and resize take what they document and refuse the rest by name (${interactiveRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(valid.text(20), fc.uint8Array({ maxLength: 20 }), hostileValue),
          fc.oneof(fc.integer({ min: 1, max: 10_000 }), hostileValue),
          async (data, cols) => {
            cases.count();
            const recorded = gateway.requests.length;
            const session = await sandbox.execInteractive(["cat"], { tty: true });
            let wrote: Awaited<ReturnType<typeof settle>>;
            let resized: Awaited<ReturnType<typeof settle>>;
            try {
              wrote = await settle(() => session.write(data as string));
              if (!wrote.ok) expectNamedRejection(wrote.error, "stdin", []);
              resized = await settle(() => session.resize(cols as number, 24));
              if (!resized.ok) expectNamedRejection(resized.error, "resize", ["cols"]);
              session.end();
              expect(await session.wait()).toBe(0);
            } finally {
              session.close();
            }
            const frames = gateway.requests
              .slice(recorded)
              .filter((r) => r.method === "ExecSandboxInteractive")
              .map((r) => (r.message as ExecSandboxInput).payload);
            // The start frame, then what was accepted, in order: nothing refused went out.
            const expected: string[] = ["start"];
            const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
            if (wrote.ok) {
              expect(typeof data === "string" || data instanceof Uint8Array).toBe(true);
              if ((bytes as Uint8Array).length > 0) expected.push("stdin");
            }
            if (resized.ok) expected.push("resize");
            expect(frames.map((f) => f.case)).toEqual(expected);
            const stdin = frames.find((f) => f.case === "stdin");
            if (stdin) expectGivenWasSent(bytes, stdin.value, "stdin");
          },
        ),
        settings(interactiveRuns),
      );
    },
    timeFor(interactiveRuns, 20),
  );

  it(
    `forward: opens a loopback listener for valid options, rejects the rest naming the option (${forwardRuns} runs)`,
    async () => {
      const forwardOptions = optionsOf({
        port: fc.integer({ min: 1, max: 65_535 }),
        targetHost: fc.constantFrom("127.0.0.1", "localhost", "::1", "127.10.0.1"),
        // A fixed local port could be taken by anything on this machine: 0 picks a free one.
        localPort: fc.constant(0),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 6, arbitrary: forwardOptions }, { weight: 1, arbitrary: hostileValue }),
          async (options) => {
            cases.count();
            const streams = gateway.streams();
            const result = await settle(() => sandbox.forward(options as unknown as ForwardOptions));
            expect(gateway.streams()).toBe(streams);
            if (!result.ok) {
              expectNamedRejection(result.error, "forward options", ["port", ...keysOf(options)]);
              return;
            }
            try {
              expect(result.value.localHost).toBe("127.0.0.1");
              expect(result.value.localPort).toBeGreaterThan(0);
            } finally {
              await result.value.close();
            }
          },
        ),
        settings(forwardRuns),
      );
    },
    timeFor(forwardRuns, 20),
  );

  it(
    `logs: sends the filters as given, or rejects naming the option (${logsRuns} runs)`,
    async () => {
      const logOptions = optionsOf({
        lines: fc.integer({ min: 0, max: 100_000 }),
        since: fc.date({ noInvalidDate: true, min: new Date(0) }),
        sources: fc.array(fc.constantFrom("gateway", "sandbox"), { maxLength: 2 }),
        minLevel: fc.constantFrom("ERROR", "WARN", "INFO", "DEBUG", "TRACE"),
        follow: fc.boolean(),
        // Deadlines short enough to expire on a busy machine are not what this property is about.
        timeoutMs: fc.integer({ min: 5_000, max: 60_000 }),
        handshakeTimeoutMs: fc.integer({ min: 5_000, max: 60_000 }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 6, arbitrary: logOptions }, { weight: 1, arbitrary: hostileValue }),
          async (options) => {
            cases.count();
            const streams = gateway.streams();
            const recorded = gateway.requests.length;
            const result = await settle(async () => {
              const o = options as ReadLogsOptions | FollowLogsOptions;
              if (o?.follow) for await (const _ of sandbox.logs(o as FollowLogsOptions));
              else await sandbox.logs(o as ReadLogsOptions);
            });
            if (!result.ok) {
              expectNamedRejection(result.error, "logs options", keysOf(options));
              expect(gateway.streams()).toBe(streams);
              return;
            }
            expect(gateway.streams()).toBe(streams + 1);
            const o = (options ?? {}) as Record<string, unknown>;
            // Following logs is a WatchSandbox call, whose filters have their own names.
            if (gateway.requests[recorded]?.method === "WatchSandbox") {
              const watch = gateway.sent<WatchSandboxRequest>(recorded);
              expectGivenWasSent(o.lines, watch.logTailLines, "lines");
              expectGivenWasSent(o.sources, watch.logSources, "sources");
              expectGivenWasSent(o.minLevel, watch.logMinLevel, "minLevel");
              if (o.since instanceof Date) expect(watch.logSinceMs).toBe(BigInt(o.since.getTime()));
              return;
            }
            const req = gateway.sent<GetSandboxLogsRequest>(recorded);
            expectGivenWasSent(o.lines, req.lines, "lines");
            expectGivenWasSent(o.sources, req.sources, "sources");
            expectGivenWasSent(o.minLevel, req.minLevel, "minLevel");
            if (o.since instanceof Date) expect(req.sinceMs).toBe(BigInt(o.since.getTime()));
          },
        ),
        settings(logsRuns),
      );
    },
    timeFor(logsRuns, 20),
  );
});
