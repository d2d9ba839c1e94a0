import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import {
  ACCOUNT_PROBE_LABEL,
  ACCOUNT_PROBE_OWNER_LABEL,
  claimProbeName,
  isAccountProbe,
  probeLabels,
  probeLeft,
} from "../../../../src/local/sandboxes/account-probe-owner.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A real process of this host: running until the test ends, or ended already. */
async function processOfThisHost(running: boolean): Promise<number> {
  const child = spawn(process.execPath, ["-e", running ? "setInterval(() => {}, 1000)" : ""], {
    stdio: "ignore",
  });
  children.push(child);
  await once(child, "spawn");
  if (!running) await once(child, "exit");
  return child.pid as number;
}

const probe = (name: string, owner?: string) => ({
  name,
  labels: {
    [ACCOUNT_PROBE_LABEL]: "true",
    ...(owner === undefined ? {} : { [ACCOUNT_PROBE_OWNER_LABEL]: owner }),
  },
});

describe("which account probe containers a starting gateway removes", () => {
  it("marks a probe with the probe label and this process as its owner", () => {
    const labels = probeLabels();
    expect(labels).toEqual({
      [ACCOUNT_PROBE_LABEL]: "true",
      [ACCOUNT_PROBE_OWNER_LABEL]: `${hostname()}/${process.pid}`,
    });
    expect(isAccountProbe(labels)).toBe(true);
    expect(isAccountProbe({ [ACCOUNT_PROBE_LABEL]: "false" })).toBe(false);
    expect(isAccountProbe({})).toBe(false);
  });

  it("removes this process's probe only once it is no longer in flight", () => {
    const claim = claimProbeName();
    expect(claim.name).toMatch(/^openshell-account-probe-[0-9a-f]{16}$/);
    const container = probe(claim.name, `${hostname()}/${process.pid}`);
    expect(probeLeft(container)).toBe(false);
    claim.done();
    expect(probeLeft(container)).toBe(true);
  });

  it("keeps the probe of a live process of this host, removes that of one that ended", async () => {
    const live = await processOfThisHost(true);
    const ended = await processOfThisHost(false);
    expect(probeLeft(probe("live", `${hostname()}/${live}`))).toBe(false);
    expect(probeLeft(probe("ended", `${hostname()}/${ended}`))).toBe(true);
  });

  it("never takes another host's probe for left; one without an owner is left", () => {
    expect(probeLeft(probe("elsewhere", `not-${hostname()}/${process.pid}`))).toBe(false);
    expect(probeLeft(probe("by-hand"))).toBe(true);
    expect(probeLeft(probe("garbled", "no pid here"))).toBe(true);
  });
});
