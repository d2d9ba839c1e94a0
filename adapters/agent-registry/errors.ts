import { FailedPreconditionError } from "openshell";

/**
 * Why a deployment's agent cannot be given access to its model. Each is a condition reason the
 * adapter reports (`Degraded`, with the error's message):
 * - `MissingModelCredentials`: none of the environment variables that should hold the provider's
 *   credentials is set in the adapter's process.
 * - `UnknownModelProvider`: the provider is not one the adapter knows and no endpoint says where it is.
 * - `MissingModelEndpoint`: the provider needs an endpoint the resources do not give (Bedrock's region).
 * - `InvalidModelEndpoint`: `model.spec.endpoint.baseUrl` is not a plain http(s) URL.
 * - `UnsupportedModelAuth`: an auth strategy a deployed agent cannot use (`passthrough`).
 * - `ModelNotResolved`: the deployment names a Model (`modelRef`) that was not passed in, and the
 *   agent names no model provider of its own.
 */
export type ModelAccessReason =
  | "MissingModelCredentials"
  | "UnknownModelProvider"
  | "MissingModelEndpoint"
  | "InvalidModelEndpoint"
  | "UnsupportedModelAuth"
  | "ModelNotResolved";

/**
 * A deployment's model access cannot be set up. `reason` is the condition reason, `field` the
 * dotted path of what to change (`deployment.spec.runtimeConfig.credentialEnv`,
 * `target.spec.modelProvider`, ...). The message names variables and fields, never a credential's
 * value.
 */
export class ModelAccessError extends FailedPreconditionError {
  /** The condition reason, for a `Degraded` condition. */
  readonly reason: ModelAccessReason;
  /** Dotted path of the field to change. */
  readonly field: string;

  constructor(reason: ModelAccessReason, message: string, options: { field: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.field = options.field;
  }
}
