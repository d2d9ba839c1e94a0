import { describe, expect, it } from "vitest";
import { FailedPreconditionError, InvalidArgumentError, type OpenShell } from "../../../src/index.js";
import { useTestGatewayClient } from "../../support/test-gateway-client.js";

/**
 * Writing to an interactive exec's stdin once it no longer takes input says why: the caller's own
 * end of stdin is the caller's mistake; a command that ended (here, killed with its deleted
 * sandbox) is not, and the error says the command has ended.
 */
describe("an interactive exec's stdin after the end", () => {
  let os: OpenShell;
  useTestGatewayClient((client) => {
    os = client.os;
  });

  it("refuses a write after end() as the caller's mistake", async () => {
    const sb = await os.sandboxes.create({ name: "stdin-ended", command: ["sleep", "3600"] });
    await sb.ready();
    const session = await sb.execInteractive(["cat"]);
    await session.write("one\n");
    session.end();
    await expect(session.write("two\n")).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await session.wait()).toBe(0);
    await sb.delete();
  });

  it("says the command has ended when it ended by itself, not that stdin was closed", async () => {
    const sb = await os.sandboxes.create({ name: "stdin-gone", command: ["sleep", "3600"] });
    await sb.ready();
    const session = await sb.execInteractive(["cat"]);
    await session.write("one\n");
    await sb.delete();
    // The test gateway kills a deleted sandbox's execs: the command ends with SIGKILL's code.
    expect(await session.wait()).toBe(137);
    const error = await session.write("two\n").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as Error).message).toMatch(
      /the command has ended with exit code 137; its stdin takes no more input$/,
    );
  });
});
