import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRequest {
  contentType: string | undefined;
  form: URLSearchParams;
}

export interface IssuerReply {
  status: number;
  body: unknown;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

/**
 * A real OpenID issuer on 127.0.0.1 with a discovery document and a token endpoint whose replies
 * the test chooses, recording every request it gets.
 */
export class FakeIssuer {
  readonly discoveryRequests: string[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  reply: IssuerReply = { status: 200, body: { access_token: "new-access", expires_in: 3600 } };

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeIssuer> {
    let issuer: FakeIssuer | undefined;
    const server = createServer((req, res) => {
      issuer?.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    issuer = new FakeIssuer(server, `http://127.0.0.1:${port}/realms/test`);
    return issuer;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET" && path === "/realms/test/.well-known/openid-configuration") {
      this.discoveryRequests.push(path);
      return send(res, 200, {
        issuer: this.url,
        token_endpoint: `${this.url}/protocol/openid-connect/token`,
      });
    }
    if (req.method === "POST" && path === "/realms/test/protocol/openid-connect/token") {
      this.tokenRequests.push({
        contentType: req.headers["content-type"],
        form: new URLSearchParams(Buffer.concat(chunks).toString("utf8")),
      });
      const { status, body, delayMs } = this.reply;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return send(res, status, body);
    }
    send(res, 404, { error: "not_found" });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
