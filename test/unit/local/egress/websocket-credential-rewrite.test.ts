import { once } from "node:events";
import * as http from "node:http";
import type * as net from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { PlaceholderResolver } from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import { websocketTextRewriter } from "../../../../src/local/credentials/websocket-text-rewrite.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import { type EgressEvent, EgressProxy } from "../../../../src/local/egress/egress-proxy.js";
import { deflateMessage, inflateMessage } from "../../../../src/local/egress/websocket-deflate.js";
import { applyMask, encodeFrame, parseFrameHeader } from "../../../../src/local/egress/websocket-frames.js";
import { rawRequest, readUntil } from "./proxy-clients.js";

/**
 * websocket_credential_rewrite through the egress proxy over real loopback sockets: a sandbox-side
 * client writing masked frames by hand, a websocket upstream that records the headers and frames
 * it got, and a credentials hook that resolves API_KEY only under /ws (its binding's path).
 */

const SECRET = "sk-live-REALvalue42";
const P = placeholderFor("API_KEY", 5n);
const KEY = Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]);

interface Got {
  headers: http.IncomingHttpHeaders;
  frames: { opcode: number; text: string }[];
  ended: Promise<void>;
}

let server: http.Server;
let port: number;
let got: Got[];
let proxy: EgressProxy;
let events: EgressEvent[];
/** Upgraded sockets leave the HTTP server's books, so closeAllConnections does not see them. */
const upgraded = new Set<net.Socket>();

/** Parses the frames the proxy sends; answers each text message with `got <n> bytes`. */
function acceptWebSocket(req: http.IncomingMessage, socket: net.Socket) {
  const record: Got = { headers: req.headers, frames: [], ended: once(socket, "end").then(() => undefined) };
  got.push(record);
  upgraded.add(socket);
  socket.on("error", () => socket.destroy());
  // /ext takes an extension nobody offered; .../deflate takes the client's no-context-takeover offer.
  const extension = req.url?.startsWith("/ext")
    ? "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    : req.url?.endsWith("/deflate")
      ? `Sec-WebSocket-Extensions: ${req.headers["sec-websocket-extensions"]}\r\n`
      : "";
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extension}\r\n`,
  );
  let buf = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const header = parseFrameHeader(buf);
      if (header === undefined || buf.length < header.raw.length + header.payloadLength) return;
      let payload: Buffer = Buffer.from(
        buf.subarray(header.raw.length, header.raw.length + header.payloadLength),
      );
      buf = buf.subarray(header.raw.length + header.payloadLength);
      if (header.maskKey !== undefined) applyMask(payload, header.maskKey);
      if (header.rsv === 0x40) payload = inflateMessage(payload, 1 << 20);
      // A close frame is recorded by its code.
      const text = header.opcode === 0x8 ? String(payload.readUInt16BE(0)) : payload.toString("utf8");
      record.frames.push({ opcode: header.opcode, text });
      if (header.opcode === 0x1) socket.write(encodeFrame(0x1, Buffer.from(`got ${payload.length} bytes`)));
    }
  });
}

const resolverFor =
  (path: string): PlaceholderResolver =>
  (placeholder) => {
    if (placeholder.key !== "API_KEY")
      return { kind: "unavailable", why: `no provider gives ${placeholder.key}` };
    return path.startsWith("/ws") ? { kind: "value", value: SECRET } : { kind: "mismatch" };
  };

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end());
  server.on("upgrade", acceptWebSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of upgraded) socket.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  got = [];
  events = [];
  const endpoint = (host: string, rewrite: boolean) => ({
    host,
    port,
    protocol: "websocket",
    access: "full",
    websocketCredentialRewrite: rewrite,
  });
  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: {
      ws: { endpoints: [endpoint("rewrite.test", true), endpoint("plain.test", false)] },
    },
  });
  const client = { sandboxId: "sb-1", sandboxName: "agent", policy: compileEgressPolicy(networkPolicies) };
  proxy = await EgressProxy.listen({
    host: "127.0.0.1",
    identify: () => client,
    resolve: () => "127.0.0.1",
    onEvent: (event) => events.push(event),
    websocketText: (_client, upgrade) => websocketTextRewriter(upgrade.pathAndQuery, resolverFor),
  });
});
afterEach(async () => {
  await proxy.close();
});

/** Upgrades `ws://host:port/path` through the proxy, offering permessage-deflate as browsers do by default. */
async function upgrade(host: string, path: string, offer = "permessage-deflate; client_max_window_bits") {
  const socket = await rawRequest(
    proxy,
    `GET http://${host}:${port}${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Extensions: ${offer}\r\n\r\n`,
  );
  const head = await readUntil(socket, (t) => t.includes("\r\n\r\n"));
  return { socket, head };
}

const text = (payload: string) => encodeFrame(0x1, Buffer.from(payload), KEY);

describe("EgressProxy: websocket_credential_rewrite", () => {
  it("sends the upstream the value in the sandbox's text message, and drops the extension offer", async () => {
    const { socket, head } = await upgrade("rewrite.test", "/ws/chat");
    expect(head).toMatch(/^HTTP\/1.1 101 Switching Protocols/);
    socket.write(text(`{"auth":"${P}"}`));
    const reply = await readUntil(socket, (t) => t.includes("bytes"));
    expect(reply).toContain(`got ${`{"auth":"${SECRET}"}`.length} bytes`);
    expect(got[0]?.frames).toEqual([{ opcode: 0x1, text: `{"auth":"${SECRET}"}` }]);
    expect(got[0]?.headers["sec-websocket-extensions"]).toBeUndefined();
    socket.destroy();
  });

  it("leaves messages unread where the endpoint does not ask for it", async () => {
    const { socket } = await upgrade("plain.test", "/ws/chat");
    socket.write(text(`{"auth":"${P}"}`));
    await readUntil(socket, (t) => t.includes("bytes"));
    expect(got[0]?.frames).toEqual([{ opcode: 0x1, text: `{"auth":"${P}"}` }]);
    expect(got[0]?.headers["sec-websocket-extensions"]).toBe("permessage-deflate; client_max_window_bits");
    socket.destroy();
  });

  it("closes 1008 on a credential bound elsewhere: nothing of the message reaches the upstream", async () => {
    const { socket } = await upgrade("rewrite.test", "/other");
    socket.write(text("hello"));
    await readUntil(socket, (t) => t.includes("bytes"));
    socket.write(text(`{"auth":"${P}"}`));
    const rest = Buffer.from(await readUntil(socket, () => false), "latin1");
    expect(rest.subarray(0, 2)).toEqual(Buffer.from([0x88, 2 + "credential endpoint mismatch".length]));
    expect(rest.readUInt16BE(2)).toBe(1008);
    expect(rest.subarray(4).toString()).toBe("credential endpoint mismatch");
    await got[0]?.ended;
    expect(got[0]?.frames).toEqual([{ opcode: 0x1, text: "hello" }]);
    const denied = events.find((e) => !e.decision.allowed);
    expect(denied?.decision).toMatchObject({ deniedBy: "credential", rule: "ws" });
    expect(denied?.decision.reason).toMatch(
      /^credential_endpoint_mismatch: credential API_KEY is not authorized/,
    );
  });

  it("closes 1002 on an unmasked frame, the upstream told with the same code", async () => {
    const { socket } = await upgrade("rewrite.test", "/ws");
    socket.write(encodeFrame(0x1, Buffer.from("no mask")));
    const rest = Buffer.from(await readUntil(socket, () => false), "latin1");
    expect(rest).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xea]));
    await got[0]?.ended;
    expect(got[0]?.frames).toEqual([{ opcode: 0x8, text: "1002" }]);
    expect(events.at(-1)?.outcome).toMatch(/^websocket closed 1002 by the proxy: client frame not masked/);
  });

  it("passes on a no-context-takeover deflate offer, and resolves placeholders in compressed messages", async () => {
    const offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    const { socket, head } = await upgrade("rewrite.test", "/ws/deflate", offer);
    expect(head).toMatch(/^HTTP\/1.1 101 Switching Protocols/);
    expect(got[0]?.headers["sec-websocket-extensions"]).toBe(
      "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
    );
    socket.write(encodeFrame(0x1, deflateMessage(Buffer.from(`{"auth":"${P}"}`)), KEY, 0x40));
    await readUntil(socket, (t) => t.includes("bytes"));
    expect(got[0]?.frames).toEqual([{ opcode: 0x1, text: `{"auth":"${SECRET}"}` }]);
    socket.destroy();
  });

  it("answers 502 when the upstream takes an extension the proxy did not offer", async () => {
    const { head } = await upgrade("rewrite.test", "/ext");
    expect(head).toMatch(/^HTTP\/1.1 502 /);
    expect(events.at(-1)?.outcome).toBe("upstream negotiated a websocket extension the proxy did not offer");
  });
});
