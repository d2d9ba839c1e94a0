import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { rewriteCredentials } from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import { type EgressEvent, EgressProxy } from "../../../../src/local/egress/egress-proxy.js";
import type { EgressClient } from "../../../../src/local/egress/egress-types.js";
import type { OutboundRequest, RequestRewriter } from "../../../../src/local/egress/request-rewrite.js";
import { viaProxy } from "./proxy-clients.js";

/**
 * Upstream arms its request-body backstop (a streamed body cut off at a credential placeholder on
 * an endpoint without request_body_credential_rewrite) only for a sandbox with a secret resolver:
 * through the real proxy, the rewriter's holdsCredentials decides, asked per request.
 */

const P = placeholderFor("GITHUB_TOKEN", 3n);
const body = JSON.stringify({ note: `see ${P} and openshell:resolve:env:GITHUB_TOKEN` });

let upstream: http.Server;
let port: number;
let received: string[];
let cut: string[];
let events: EgressEvent[];
let proxy: EgressProxy;
/** Sandboxes the rewriter says hold credentials. */
let holding: Set<string>;
let asked: string[];

beforeAll(async () => {
  upstream = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      cut.push(Buffer.concat(chunks).toString());
      return;
    }
    received.push(Buffer.concat(chunks).toString());
    res.end("ok");
  });
  upstream.listen(0, "127.0.0.1");
  await new Promise((resolve) => upstream.once("listening", resolve));
  port = (upstream.address() as AddressInfo).port;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

/** A proxy whose every connection is `sandboxId`'s, with a rewriter that resolves nothing. */
async function proxyFor(sandboxId: string): Promise<EgressProxy> {
  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: {
      plain: { endpoints: [{ host: "plain.test", port, protocol: "rest", access: "full" }] },
    },
  });
  const client = { sandboxId, sandboxName: sandboxId, policy: compileEgressPolicy(networkPolicies) };
  const rewrite: RequestRewriter = Object.assign(
    (_client: EgressClient, request: OutboundRequest) =>
      rewriteCredentials(request, () => () => ({ kind: "unavailable" as const, why: "none held" })),
    {
      holdsCredentials: (who: EgressClient) => {
        asked.push(who.sandboxId);
        return holding.has(who.sandboxId);
      },
    },
  );
  return EgressProxy.listen({
    host: "127.0.0.1",
    identify: () => client,
    resolve: (host) => (host.endsWith(".test") ? "127.0.0.1" : undefined),
    onEvent: (event) => events.push(event),
    rewrite,
  });
}

beforeEach(() => {
  received = [];
  cut = [];
  events = [];
  holding = new Set(["sb-creds"]);
  asked = [];
});
afterEach(async () => {
  await proxy?.close();
});

const post = () =>
  viaProxy(proxy, {
    method: "POST",
    url: `http://plain.test:${port}/api/notes`,
    headers: { "content-type": "application/json" },
    body,
  });

describe("EgressProxy: the request-body backstop is armed per sandbox", () => {
  it("sends placeholder-looking text in a body intact for a sandbox that holds no credentials", async () => {
    proxy = await proxyFor("sb-plain");
    const answer = await post();
    expect(answer.status).toBe(200);
    expect(received).toEqual([body]);
    expect(asked).toEqual(["sb-plain"]);
    expect(events.map((e) => e.outcome)).toEqual(["upstream answered 200"]);
  });

  it("cuts the same body off for a sandbox that holds credentials", async () => {
    proxy = await proxyFor("sb-creds");
    await expect(post()).rejects.toThrow();
    expect(received).toEqual([]);
    expect(cut.join("")).not.toContain("openshell");
    expect(asked).toEqual(["sb-creds"]);
    expect(events.at(-1)?.decision).toMatchObject({ allowed: false, deniedBy: "credential" });
    expect(events.at(-1)?.decision.reason).toMatch(/has no request_body_credential_rewrite/);
  });

  it("asks again on every request: a sandbox that gains credentials is cut off from then on", async () => {
    proxy = await proxyFor("sb-later");
    expect((await post()).status).toBe(200);
    holding.add("sb-later");
    await expect(post()).rejects.toThrow();
    expect(received).toEqual([body]);
    expect(asked).toEqual(["sb-later", "sb-later"]);
  });
});
