import { CanceledError } from "../../errors.js";
import { withWaitDeadline } from "../internal/wait-deadline.js";
import { PolicyLoadError } from "./policy-load-error.js";
import type { PolicyRevisionInfo } from "./policy-revision.js";

/** Settings of {@link waitForPolicyLoad}, defaults already applied. */
export interface PolicyWaitSettings {
  sandboxName: string;
  version: number;
  timeoutMs: number;
  pollIntervalMs: number;
  /** The caller's signal: aborting it ends the wait with CanceledError. */
  signal: AbortSignal | undefined;
}

export const defaultPolicyWaitMs = 60_000;
export const defaultPolicyPollMs = 500;

/**
 * Polls one revision's status until the sandbox has dealt with it. The gateway offers no stream of
 * policy status, so this polls; every poll and every pause between polls is bound to one deadline
 * and to the caller's signal, so the wait ends on time even while a status call hangs.
 *
 * Resolves on LOADED or SUPERSEDED (a newer update won: nothing to wait for any more); FAILED
 * throws {@link PolicyLoadError} with the gateway's reason.
 */
export async function waitForPolicyLoad(
  poll: (signal: AbortSignal) => Promise<PolicyRevisionInfo>,
  settings: PolicyWaitSettings,
): Promise<PolicyRevisionInfo> {
  const { sandboxName, version, timeoutMs, pollIntervalMs, signal } = settings;
  let last: PolicyRevisionInfo | undefined;
  return withWaitDeadline(
    `waiting for policy version ${version} of sandbox "${sandboxName}" to load`,
    { timeoutMs, signal },
    async (deadline) => {
      for (;;) {
        const revision = await poll(deadline);
        last = revision;
        if (revision.status === "loaded" || revision.status === "superseded") return revision;
        if (revision.status === "failed")
          throw new PolicyLoadError(sandboxName, version, revision.loadError ?? "");
        await sleep(pollIntervalMs, deadline);
      }
    },
    () =>
      `; it was still ${last?.status ?? "unconfirmed"}. A policy loads when the sandbox's supervisor picks it up: ` +
      "check that the sandbox is ready, or wait longer",
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CanceledError("wait aborted"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CanceledError("wait aborted"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
