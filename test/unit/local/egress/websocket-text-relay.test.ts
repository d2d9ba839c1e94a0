import { once } from "node:events";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Termination } from "../../../../src/local/egress/websocket-client-frames.js";
import { applyMask, encodeFrame, parseFrameHeader } from "../../../../src/local/egress/websocket-frames.js";
import { relayWebSocketText } from "../../../../src/local/egress/websocket-text-relay.js";

/**
 * The websocket text relay on real loopback sockets: a sandbox side and an upstream side joined by
 * relayWebSocketText as the proxy joins them, with short assembly timeouts.
 */

const KEY = Buffer.from([1, 2, 3, 4]);
const open: net.Socket[] = [];

/** A connected pair of sockets: [one end, the other]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection");
  const a = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const [b] = (await accepted) as [net.Socket];
  server.close();
  open.push(a, b);
  return [a, b];
}

/** sandbox <-> [client | relay | upstream] <-> server */
async function relayed(timeouts = { idleMs: 100, totalMs: 250 }, failing = false) {
  const [sandbox, client] = await pair();
  const [upstream, server] = await pair();
  const ends: Termination[] = [];
  relayWebSocketText(client, upstream, Buffer.alloc(0), {
    rewriteText: (text) => {
      if (failing) throw new Error("state store unreadable");
      return {
        kind: "text",
        text: text.replace("PH", "VALUE"),
        replaced: text.includes("PH") ? 1 : 0,
      };
    },
    onEnd: (end) => ends.push(end),
    timeouts,
  });
  return { sandbox, server, ends };
}

function collect(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.once("end", () => resolve(Buffer.concat(chunks))));
}

afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

describe("relayWebSocketText", () => {
  it("closes 1002 both ways when a fragmented message stalls past the idle timeout", async () => {
    const { sandbox, server, ends } = await relayed();
    const toSandbox = collect(sandbox);
    const toServer = collect(server);
    const part = encodeFrame(0x1, Buffer.from("part"), KEY);
    part[0] = 0x01; // FIN cleared: more fragments to come, which never do
    sandbox.write(part);
    const [gotSandbox, gotServer] = await Promise.all([toSandbox, toServer]);
    expect(gotSandbox).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xea]));
    const header = parseFrameHeader(gotServer);
    expect(header).toMatchObject({ opcode: 0x8, payloadLength: 2 });
    expect(header?.maskKey).toBeDefined();
    expect(ends).toEqual([
      expect.objectContaining({ code: 1002, why: "text message assembly idle timeout" }),
    ]);
  });

  it("closes on the total timeout though fragments keep coming within the idle one", async () => {
    const { sandbox, server, ends } = await relayed({ idleMs: 120, totalMs: 200 });
    const toSandbox = collect(sandbox);
    collect(server);
    const first = encodeFrame(0x1, Buffer.from("a"), KEY);
    first[0] = 0x01;
    sandbox.write(first);
    const timer = setInterval(() => {
      const more = encodeFrame(0x0, Buffer.from("b"), KEY);
      more[0] = 0x00;
      if (sandbox.writable) sandbox.write(more);
    }, 50);
    await toSandbox;
    clearInterval(timer);
    expect(ends).toEqual([
      expect.objectContaining({ code: 1002, why: "text message assembly total timeout" }),
    ]);
  });

  it("closes 1011 when the credentials cannot be read, the upstream getting no part of the message", async () => {
    const { sandbox, server, ends } = await relayed(undefined, true);
    const toSandbox = collect(sandbox);
    const toServer = collect(server);
    sandbox.write(encodeFrame(0x1, Buffer.from("key=PH"), KEY));
    expect(await toSandbox).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xf3]));
    expect((await toServer).length).toBe(0);
    expect(ends).toEqual([
      expect.objectContaining({
        code: 1011,
        why: "resolving a websocket message failed: state store unreadable",
      }),
    ]);
  });

  it("relays messages both ways and passes on the sandbox's end as an end", async () => {
    const { sandbox, server, ends } = await relayed();
    const toServer = collect(server);
    const toSandbox = collect(sandbox);
    sandbox.write(encodeFrame(0x1, Buffer.from("key=PH"), KEY));
    server.write(encodeFrame(0x1, Buffer.from("unread PH")));
    sandbox.end();
    const got = await toServer;
    const header = parseFrameHeader(got);
    const payload = applyMask(Buffer.from(got.subarray(header?.raw.length)), header?.maskKey as Buffer);
    expect(payload.toString()).toBe("key=VALUE");
    server.end();
    expect((await toSandbox).subarray(2).toString()).toBe("unread PH");
    expect(ends).toEqual([]);
  });
});
