import type { RequestHandler } from "msw";
import { type SetupServer, setupServer } from "msw/node";
import { afterAll, beforeAll } from "vitest";

/**
 * An msw server answering `handlers` for the calling test file's global `fetch`, listening from
 * its `beforeAll` to its `afterAll`. A request no handler answers fails (an error, never a
 * pass-through to the network). `server.use(...)` adds handlers for one test.
 */
export function useRegistryServer(...handlers: RequestHandler[]): SetupServer {
  const server = setupServer(...handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterAll(() => server.close());
  return server;
}
