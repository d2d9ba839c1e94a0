import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { OpenShell } from "../../src/index.js";
import { startTestGateway, type TestGateway, type TestGatewayOptions } from "./test-gateway/index.js";

/** A test gateway and a client of it over real HTTP/2 and mTLS, with a throwaway home directory. */
export interface TestGatewayClient {
  gateway: TestGateway;
  os: OpenShell;
  /** Closes the client and the gateway and removes the home directory. */
  close(): Promise<void>;
}

/**
 * Starts a test gateway (with `options`) and connects to it as a user would, with its CA and a
 * client certificate, and `token` as OIDC bearer token when given.
 */
export async function testGatewayClient(
  options: TestGatewayOptions = {},
  token?: string,
): Promise<TestGatewayClient> {
  const home = mkdtempSync(join(tmpdir(), "openshell-client-"));
  const gateway = await startTestGateway(options);
  const os = await OpenShell.connect({
    endpoint: gateway.endpoint,
    tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
    env: {},
    homeDir: home,
    ...(token === undefined ? {} : { token }),
  });
  return {
    gateway,
    os,
    close: async () => {
      await os.close();
      await gateway.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** What `promise` rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to reject");
}

/**
 * A test gateway and its client for one `describe` block: started before its tests (then handed to
 * `receive`, which keeps what it needs and may create fixtures) and closed after them.
 */
export function useTestGatewayClient(
  receive: (client: TestGatewayClient) => void | Promise<void>,
  options: TestGatewayOptions = {},
): void {
  let client: TestGatewayClient | undefined;
  beforeAll(async () => {
    client = await testGatewayClient(options);
    await receive(client);
  });
  afterAll(async () => {
    await client?.close();
  });
}
