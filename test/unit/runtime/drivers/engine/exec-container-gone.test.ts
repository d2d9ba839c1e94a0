/**
 * Podman answers the inspect of an exec whose container was just removed with a 500 saying the
 * container "does not exist in database: no such container" (seen under load), where Docker answers
 * 404. Either way the caller must learn that the container stopped under the command.
 */

import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerRuntimeError } from "../../../../../src/errors.js";
import {
  FAKE_CONTAINER as CONTAINER,
  connectToFake,
  json,
  startFakeExecEngine,
  stopFakeEngine,
} from "./fake-exec-engine.js";

const GONE = `retrieving exec session e1 from container ${CONTAINER}: container ${CONTAINER} does not exist in database: no such container`;

/** One exec whose container is removed under it: its stream ends, the exec and container are gone. */
function startEngine(): Promise<Server> {
  return startFakeExecEngine({
    route(path, res) {
      if (path === `/containers/${CONTAINER}/json`)
        json(res, 404, { message: `no such container ${CONTAINER}` });
      else if (path === "/exec/e1/json")
        json(res, 500, { cause: "no such container", message: GONE, response: 500 });
      else return false;
      return true;
    },
    onUpgrade(socket) {
      setTimeout(() => socket.end(), 50);
    },
  });
}

describe("engine exec whose container is removed under it", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startEngine();
  });
  afterAll(() => stopFakeEngine(server));

  it("says the container stopped while the command ran, also when the exec's inspect answers 500 no such container", async () => {
    const runtime = await connectToFake(server);
    try {
      const proc = await runtime.exec(CONTAINER, { command: ["sleep", "3600"] });
      const error = await proc.wait().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContainerRuntimeError);
      expect(String(error)).toMatch(/stopped while the command was running/);
    } finally {
      await runtime.close();
    }
  });
});
