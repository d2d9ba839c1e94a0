import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { encryptedAlert, recordsSentUnder } from "./tls-alerts.js";

interface Connection {
  client: Socket;
  upstream: Socket | undefined;
  /** Server-to-client bytes of the handshake phase, to find the sequence number of an alert. */
  fromServer: Buffer[];
  recorded: number;
  /** Set when the server rejected the client certificate: the alert to deliver before closing. */
  rejection: { secretHex: string; description: number } | undefined;
}

/** Enough to cover the handshake and session tickets; later traffic is not recorded. */
const recordLimit = 64 * 1024;
/** How long to wait, after the server closed, for word that it closed over a rejected certificate. */
const rejectionWaitMs = 25;

/**
 * A byte-level TCP relay in front of the HTTP/2 server. TLS runs end to end through it, so clients
 * see the real server; it exists so tests can make the gateway go silent (`freeze`: bytes, HTTP/2
 * PINGs included, stop flowing both ways) or vanish (`destroyAll`), which Node's HTTP/2 server cannot
 * do by itself because it answers PINGs below the application.
 */
export class FrontDoor {
  private readonly connections = new Set<Connection>();
  private frozen = false;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  static async listen(targetPort: number): Promise<FrontDoor> {
    const door = new FrontDoor(createServer(), targetPort);
    await new Promise<void>((resolve, reject) => {
      door.server.once("error", reject);
      door.server.listen(0, "127.0.0.1", () => resolve());
    });
    return door;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  private accept(client: Socket): void {
    const connection: Connection = {
      client,
      upstream: undefined,
      fromServer: [],
      recorded: 0,
      rejection: undefined,
    };
    this.connections.add(connection);
    const forget = () => {
      this.connections.delete(connection);
      client.destroy();
      connection.upstream?.destroy();
    };
    client.on("error", forget);
    client.on("close", forget);
    // Without this, Nagle's algorithm and delayed ACKs hold small HTTP/2 frames for ~40 ms a hop.
    client.setNoDelay(true);
    // A frozen gateway still accepts TCP (the kernel would) but never answers.
    if (this.frozen) {
      client.pause();
      return;
    }
    this.connectUpstream(connection, forget);
  }

  private connectUpstream(connection: Connection, forget: () => void): void {
    const upstream = tcpConnect({ host: "127.0.0.1", port: this.targetPort, noDelay: true });
    connection.upstream = upstream;
    upstream.on("error", forget);
    upstream.on("data", (chunk: Buffer) => {
      if (connection.recorded >= recordLimit) return;
      connection.fromServer.push(chunk);
      connection.recorded += chunk.length;
    });
    // The server closing is passed on after a short wait, in which the server may report that it
    // closed over a rejected certificate: then the client gets the alert first.
    upstream.on("close", (hadError) => {
      setTimeout(() => {
        const { client, rejection } = connection;
        if (hadError || client.destroyed) return forget();
        if (rejection) {
          const stream = Buffer.concat(connection.fromServer);
          const seq = recordsSentUnder(stream, rejection.secretHex);
          client.end(encryptedAlert(rejection.secretHex, seq, rejection.description));
        } else {
          client.end();
        }
        setTimeout(forget, 1000).unref();
      }, rejectionWaitMs);
    });
    connection.client.pipe(upstream);
    upstream.pipe(connection.client, { end: false });
  }

  /**
   * Called by the TLS server when it drops a connection over a client certificate that failed
   * verification; `serverSidePort` is that connection's remote port, i.e. our upstream's local port.
   */
  rejectWithAlert(serverSidePort: number, secretHex: string, description: number): void {
    for (const connection of this.connections) {
      if (connection.upstream?.localPort === serverSidePort) {
        connection.rejection = { secretHex, description };
      }
    }
  }

  /** Stops every byte in both directions; sockets stay open, so the peer only sees silence. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.connections) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Destroys every relayed connection at once, as if the gateway's process died. */
  destroyAll(): void {
    for (const { client, upstream } of this.connections) {
      client.resetAndDestroy();
      upstream?.destroy();
    }
    this.connections.clear();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.destroyAll();
    await closed;
  }
}
