import { FailedPreconditionError } from "../../errors.js";

/**
 * The sandbox rejected a policy revision (its status became FAILED). `loadError` is the gateway's
 * reason; fix the policy and update again. Its `code` is `"failed_precondition"`.
 */
export class PolicyLoadError extends FailedPreconditionError {
  /** The sandbox whose policy failed to load. */
  readonly sandboxName: string;
  /** The revision that failed. */
  readonly version: number;
  /** The gateway's reason (the `load_error` of the revision). */
  readonly loadError: string;

  constructor(sandboxName: string, version: number, loadError: string) {
    super(
      `policy version ${version} of sandbox "${sandboxName}" failed to load: ${loadError || "no reason given"}. ` +
        "Fix the policy and update it again; os.policy.status() shows which version is active.",
    );
    this.sandboxName = sandboxName;
    this.version = version;
    this.loadError = loadError;
  }
}
