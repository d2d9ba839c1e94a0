import { expect } from "vitest";
import { GatewayConfigError } from "../../../../src/errors.js";

/** Awaits `promise`, asserting it fails with a GatewayConfigError, and returns that error. */
export async function expectConfigError(promise: Promise<unknown>): Promise<GatewayConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayConfigError);
  return err as GatewayConfigError;
}
