import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenShell } from "../../../src/client/open-shell.js";
import type { Sandbox } from "../../../src/client/sandboxes/sandbox.js";
import { type RecordingGateway, startRecordingGateway } from "./recording-gateway.js";

/**
 * Found by exec-inputs.test.ts's execInteractive property (a 65 KB write, then a resize): once the
 * gateway had finished an interactive exec (the command exited) without reading the rest of its
 * input, a write bigger than the HTTP/2 flow-control window resolved, and the resize after it never
 * settled. The exec's call is now read to its end, which closes its input (later writes are refused).
 */
describe("interactive exec after the command has exited", () => {
  let gateway: RecordingGateway;
  let os: OpenShell;
  let sandbox: Sandbox;
  beforeAll(async () => {
    gateway = await startRecordingGateway({ interactiveReadsInput: false });
    os = await gateway.client();
    sandbox = await os.sandboxes.get("fuzz");
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  it("settles write and resize (resolved or rejected) within 5 s, when the command exited first", async () => {
    const session = await sandbox.execInteractive(["head", "-c", "1"], { tty: true });
    const bounded = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => "settled",
          () => "settled",
        ),
        new Promise((r) => setTimeout(() => r("hung"), 5_000)),
      ]);
    try {
      // The gateway has already finished the call; these frames have nowhere to go.
      expect(await bounded(session.write("a".repeat(128 * 1024))), "write").toBe("settled");
      expect(await bounded(session.resize(100, 30)), "resize").toBe("settled");
      expect(await bounded(session.wait()), "wait").toBe("settled");
    } finally {
      session.close();
    }
  }, 30_000);
});
