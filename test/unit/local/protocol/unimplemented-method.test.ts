import { createServer, type Http2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inference } from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { unimplementedMethod } from "../../../../src/local/protocol/unimplemented-method.js";

/**
 * The gateway's answer to a method it does not serve, as real Connect-ES clients of each protocol
 * read it over HTTP/2: UNIMPLEMENTED naming the method, never a transport error about HTTP 404.
 */
describe("unimplementedMethod", () => {
  let server: Http2Server;
  let baseUrl: string;
  const sessions = new Set<Http2Session>();

  beforeAll(async () => {
    const handler = connectNodeAdapter({
      // Only Inference is served: every OpenShell method is unknown to this server.
      routes: (router) =>
        router.service(Inference, {
          getInferenceRoute: async () => ({ routeName: "inference.local", providerName: "p", modelId: "m" }),
        }),
      fallback: unimplementedMethod,
    });
    server = createServer(handler);
    server.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of sessions) session.destroy();
    await closed;
  });

  const transports: [string, () => Transport][] = [
    ["gRPC", () => createGrpcTransport({ baseUrl })],
    ["gRPC-web", () => createGrpcWebTransport({ baseUrl, httpVersion: "2" })],
    ["Connect", () => createConnectTransport({ baseUrl, httpVersion: "2" })],
    ["Connect (JSON)", () => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false })],
  ];

  it.each(transports)(
    "is UNIMPLEMENTED naming the method for a %s client, unary and streaming",
    async (_, transport) => {
      const client = createClient(OpenShell, transport());
      const unary = await client.health({}).catch((e: unknown) => ConnectError.from(e));
      expect(unary).toBeInstanceOf(ConnectError);
      expect(Code[(unary as ConnectError).code]).toBe("Unimplemented");
      expect((unary as ConnectError).rawMessage).toBe(
        "openshell.v1.OpenShell/Health is not implemented by this gateway",
      );

      const stream = await (async () => {
        for await (const _ of client.watchSandbox({ id: "x" })) {
          // no event is expected
        }
      })().catch((e: unknown) => ConnectError.from(e));
      expect(Code[(stream as ConnectError).code]).toBe("Unimplemented");
      expect((stream as ConnectError).rawMessage).toBe(
        "openshell.v1.OpenShell/WatchSandbox is not implemented by this gateway",
      );

      // The served method still answers.
      expect((await createClient(Inference, transport()).getInferenceRoute({})).modelId).toBe("m");
    },
  );
});
