/**
 * An engine connection that breaks while an exec is still being set up (here: the hijacked exec
 * stream is reset while the terminal resize is in flight) must reach the caller as an error of
 * that exec, never as an unhandled `error` event that takes the whole process down.
 */

import type { Server } from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShellError } from "../../../../../src/errors.js";
import {
  FAKE_CONTAINER as CONTAINER,
  connectToFake,
  json,
  startFakeExecEngine,
  stopFakeEngine,
} from "./fake-exec-engine.js";

/** One tty exec whose stream the engine resets while the terminal resize is in flight. */
function startEngine(): Promise<Server> {
  let hijacked: Socket | undefined;
  return startFakeExecEngine({
    route(path, res) {
      if (path === `/containers/${CONTAINER}/json`)
        json(res, 200, { Id: CONTAINER, State: { Running: true } });
      else if (path === "/exec/e1/resize") {
        // The engine drops the exec's stream while the resize is in flight, then answers the resize.
        hijacked?.resetAndDestroy();
        setTimeout(() => json(res, 200, {}), 200);
      } else if (path === "/exec/e1/json") json(res, 200, { Running: false, ExitCode: 0 });
      else return false;
      return true;
    },
    onUpgrade(socket) {
      hijacked = socket;
    },
  });
}

describe("engine exec", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startEngine();
  });
  afterAll(() => stopFakeEngine(server));

  it("turns a stream reset during the terminal resize into that exec's error, not an unhandled error", async () => {
    const unhandled: unknown[] = [];
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const runtime = await connectToFake(server);
      const outcome = await runtime
        .exec(CONTAINER, { command: ["sh"], tty: true, terminalSize: { columns: 80, rows: 24 } })
        .then(
          async (proc) => {
            // Whatever exec() answered, the stream it gives must end: with an error or an exit.
            const exit = await proc.wait().catch((error: unknown) => error);
            return { opened: true as const, exit };
          },
          (error: unknown) => ({ opened: false as const, error }),
        );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
      // The exec fails, as an error of the SDK's that says which exec and what broke.
      const failure = outcome.opened ? outcome.exit : outcome.error;
      expect(failure).toBeInstanceOf(OpenShellError);
      expect(String((failure as Error).message)).toMatch(/exec/);
      await runtime.close();
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});
