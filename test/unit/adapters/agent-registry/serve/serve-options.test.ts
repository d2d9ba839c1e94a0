import { createServer } from "node:net";
import { CanceledError, FailedPreconditionError, InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import { serveAdapter } from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import {
  checkBearer,
  generateServiceToken,
  MIN_TOKEN_LENGTH,
} from "../../../../../adapters/agent-registry/serve/service-token.js";
import { MemoryAdapter } from "./memory-adapter.js";

const token = generateServiceToken();

async function refusal(options: Parameters<typeof serveAdapter>[1]): Promise<InvalidArgumentError> {
  const err = await serveAdapter(new MemoryAdapter(), options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgumentError);
  return err as InvalidArgumentError;
}

describe("serveAdapter options", () => {
  it.each(["0.0.0.0", "::", "192.168.1.10", "example.com", "10.0.0.1"])(
    "refuses the non-loopback host %s",
    async (host) => {
      const err = await refusal({ token, host });
      expect(err.field).toBe("host");
      expect(err.message).toContain("loopback");
    },
  );

  it("requires a token of at least 32 visible characters, and never repeats it", async () => {
    expect((await refusal({ token: undefined as unknown as string })).field).toBe("token");
    const short = "s3cret-but-far-too-short";
    const err = await refusal({ token: short });
    expect(err.field).toBe("token");
    expect(err.message).not.toContain(short);
    expect((await refusal({ token: `${"a".repeat(20)} ${"b".repeat(20)}` })).field).toBe("token");
  });

  it("refuses a port out of range", async () => {
    expect((await refusal({ token, port: 70_000 })).field).toBe("port");
    expect((await refusal({ token, port: 1.5 })).field).toBe("port");
  });

  it("port 0 listens on a free port of 127.0.0.1 and reports it; ::1 works too", async () => {
    await using service = await serveAdapter(new MemoryAdapter(), { token, port: 0 });
    expect(service.port).toBeGreaterThan(0);
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    const v6 = await serveAdapter(new MemoryAdapter(), { token, host: "::1" });
    try {
      expect(v6.url).toBe(`http://[::1]:${v6.port}`);
      const response = await fetch(`${v6.url}/v1/type`, { headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
    } finally {
      await v6.close();
    }
  });

  it("localhost listens on, and reports, 127.0.0.1", async () => {
    await using service = await serveAdapter(new MemoryAdapter(), { token, host: "localhost" });
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
  });

  it("a port in use is a FailedPreconditionError saying to pick another", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const err = await serveAdapter(new MemoryAdapter(), { token, port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FailedPreconditionError);
      expect((err as Error).message).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("an aborted signal cancels the start", async () => {
    const err = await serveAdapter(new MemoryAdapter(), { token, signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CanceledError);
  });

  it("close() may be called more than once", async () => {
    const service = await serveAdapter(new MemoryAdapter(), { token });
    await Promise.all([service.close(), service.close()]);
    await service.close();
  });
});

describe("generateServiceToken and checkBearer", () => {
  it("generates distinct tokens long enough to be accepted", () => {
    const tokens = new Set(Array.from({ length: 20 }, generateServiceToken));
    expect(tokens.size).toBe(20);
    for (const t of tokens) expect(t.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
  });

  it("tells a missing header from a wrong token", () => {
    const expected = Buffer.from(token);
    expect(checkBearer(undefined, expected)).toBe("missing");
    expect(checkBearer(`Bearer ${token}`, expected)).toBe("ok");
    expect(checkBearer(`Bearer  ${token} `, expected)).toBe("ok");
    expect(checkBearer(`Bearer ${token.slice(1)}`, expected)).toBe("invalid");
    expect(checkBearer(`Token ${token}`, expected)).toBe("missing");
    expect(checkBearer("Bearer", expected)).toBe("missing");
  });
});
