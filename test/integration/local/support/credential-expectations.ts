import { expect } from "vitest";

/**
 * Asserts what a sandbox's HTTP client printed (with `-i`) for a placeholder sent to a host its
 * credential is not bound to: the proxy's own 403 credential_endpoint_mismatch, and no real value.
 */
export function expectEndpointMismatch(stdout: string, secret: string): void {
  expect(stdout).toMatch(/^HTTP\/1\.1 403/m);
  expect(stdout).toContain("credential_endpoint_mismatch");
  expect(stdout).not.toContain(secret);
}
