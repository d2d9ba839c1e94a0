import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2Server,
  type Http2Session,
} from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { forwardHandlers } from "../../../src/local/handlers/forward-handlers.js";
import { promptStreamHeaders } from "../../../src/local/protocol/prompt-stream-headers.js";
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from "../certs.js";
import { authInterceptor, type GatewayAuth } from "./auth-interceptor.js";
import { type GatewayOidc, oidcInterceptor } from "./authorization.js";
import { execHandlers } from "./exec-handlers.js";
import { hostForwardBackend } from "./forward-backend.js";
import { FrontDoor } from "./front-door.js";
import { gatewayInfoHandlers } from "./gateway-info-handlers.js";
import { GatewayState } from "./gateway-state.js";
import { inferenceHandlers } from "./inference-handlers.js";
import { policyAdvisorHandlers } from "./policy-advisor-handlers.js";
import { policyHandlers } from "./policy-handlers.js";
import { policySettingsHandlers } from "./policy-settings-handlers.js";
import { providerHandlers } from "./provider-handlers.js";
import { providerProfileHandlers } from "./provider-profile-handlers.js";
import { sandboxHandlers } from "./sandbox-handlers.js";
import { serviceHandlers } from "./services-handlers.js";
import { templateHandlers } from "./template-handlers.js";
import { alertFor, tlsCipherSuite } from "./tls-alerts.js";
import { watchHandlers } from "./watch-handlers.js";
import { memberRoleIn, workspaceHandlers } from "./workspace-handlers.js";

export type { GatewayAuth } from "./auth-interceptor.js";
export type { GatewayOidc, OidcUser } from "./authorization.js";
export { testGatewayVersion } from "./gateway-info-handlers.js";
export type { GatewayState, RecordedCall, TerminalSize } from "./gateway-state.js";
export { failingImage } from "./lifecycle.js";

export interface TestGatewayOptions {
  /** `false` serves plaintext HTTP/2 (h2c) on an `http://` endpoint. Default: mTLS. */
  tls?: boolean;
  /** Tokens every call but Health must carry. */
  auth?: GatewayAuth;
  /** Sign with this CA instead of a fresh one (e.g. two gateways one client trusts). */
  certificateAuthority?: CertificateAuthority;
  /**
   * Behave as a gateway from before upstream PR #2884 (SANDBOX_PHASE_COMPLETED): a main process
   * that exits 0 leaves the sandbox ERROR with exit code 0 and reason `MainProcessExited`.
   */
  legacyMainProcessExit?: boolean;
  /**
   * Behave as a gateway with OIDC roles: callers are who their bearer tokens say, and a caller
   * without the platform or workspace admin role is PERMISSION_DENIED where SEMANTICS §12-14 need it.
   * Without it every caller is a platform admin.
   */
  oidc?: GatewayOidc;
}

export interface TestGateway {
  /** `https://127.0.0.1:<port>` (or `http://` without TLS). */
  endpoint: string;
  port: number;
  /** The CA certificate (PEM) that signed the server and client certificates. */
  ca: string;
  certificateAuthority: CertificateAuthority;
  /** A client certificate the gateway accepts. */
  client: CertificateAndKey;
  /** The gateway's own certificate. */
  server: CertificateAndKey;
  state: GatewayState;
  /** Request headers of the most recent call (names lowercase), or undefined before any call. */
  lastHeaders(): Record<string, string> | undefined;
  /** Graceful shutdown: open streams fail with UNAVAILABLE, processes are killed, folders removed. */
  close(): Promise<void>;
  /** Abrupt death mid-stream: every connection is torn down without a word. */
  crash(): void;
  /** The gateway stops answering anything (HTTP/2 PINGs too) while keeping connections open. */
  freeze(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Node drops a connection whose client certificate fails verification without saying why; this
 * watches for that (the socket closes with `authorizationError` set) and has the front door send the
 * alert a real gateway would (certificate expired, unknown CA), encrypted with the keys from `keylog`.
 */
function deliverCertificateAlerts(server: Http2Server, door: FrontDoor): void {
  const watched = new WeakSet<TLSSocket>();
  const secrets = new WeakMap<TLSSocket, string>();
  server.on("keylog", (line: Buffer, socket: TLSSocket) => {
    const [label, , secretHex] = line.toString("latin1").trim().split(" ");
    if (label === "SERVER_TRAFFIC_SECRET_0" && secretHex) secrets.set(socket, secretHex);
    if (watched.has(socket)) return;
    watched.add(socket);
    const port = socket.remotePort;
    socket.once("close", () => {
      const secretHex = secrets.get(socket);
      if (socket.authorized || !socket.authorizationError || !secretHex || port === undefined) return;
      door.rejectWithAlert(port, secretHex, alertFor(String(socket.authorizationError)));
    });
  });
}

/**
 * An OpenShell gateway for tests, on loopback over real HTTP/2 (mTLS by default), whose sandboxes are
 * real host processes: exec runs commands, forwards reach real sockets, and main-process output is
 * the sandbox log. Behaviour follows shared/openshell-contract/SEMANTICS.md.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const tls = options.tls ?? true;
  const certificateAuthority =
    options.certificateAuthority ?? (await createCertificateAuthority("openshell-test-ca"));
  const [server, client] = await Promise.all([
    issueServerCertificate(certificateAuthority, { dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"] }),
    issueClientCertificate(certificateAuthority, { commonName: "openshell-test-client" }),
  ]);

  const state = new GatewayState();
  state.legacyMainProcessExit = options.legacyMainProcessExit ?? false;
  let endpointUrl = new URL("http://127.0.0.1:0");
  const services = serviceHandlers(state, () => endpointUrl);
  // Without OIDC the caller is who its client certificate says (mTLS), or a local developer (h2c).
  const caller = tls
    ? { subject: "openshell-test-client", identityProvider: "mtls" }
    : { subject: "local-dev", identityProvider: "local_dev" };
  const handler = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    interceptors: [
      authInterceptor(state, options.auth),
      ...(options.oidc ? [oidcInterceptor(options.oidc, memberRoleIn(state))] : []),
    ],
    // Streams are answered at once, as the gateway answers them (see promptStreamHeaders).
    routes: promptStreamHeaders((router) => {
      router.service(OpenShell, {
        ...gatewayInfoHandlers(),
        ...sandboxHandlers(state),
        ...watchHandlers(state),
        ...execHandlers(state),
        ...forwardHandlers(
          hostForwardBackend(state, () => endpointUrl),
          state.sshSessions,
        ),
        ...providerHandlers(state),
        ...providerProfileHandlers(state),
        ...policyHandlers(state),
        // After policyHandlers: wraps its GetSandboxConfig and UpdateConfig with the global scope.
        ...policySettingsHandlers(state),
        ...policyAdvisorHandlers(state),
        ...services.handlers,
        ...workspaceHandlers(state, caller, services.countIn),
        // After sandboxHandlers: its CreateSandbox is wrapped to apply workload_template_name.
        ...templateHandlers(state),
      });
      router.service(Inference, inferenceHandlers(state));
    }),
  });

  const http2: Http2Server = tls
    ? createSecureServer(
        {
          key: server.key,
          cert: server.cert,
          ca: certificateAuthority.cert,
          requestCert: true,
          rejectUnauthorized: true,
          // One TLS 1.3 suite, so the front door can encrypt certificate alerts (see tls-alerts.ts).
          minVersion: "TLSv1.3",
          ciphers: tlsCipherSuite,
        },
        handler,
      )
    : createH2cServer(handler);
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  http2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  http2.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    http2.once("error", reject);
    http2.listen(0, "127.0.0.1", () => resolve());
  });
  const address = http2.address();
  const door = await FrontDoor.listen(typeof address === "object" && address ? address.port : 0);
  if (tls) deliverCertificateAlerts(http2, door);
  endpointUrl = new URL(`${tls ? "https" : "http"}://127.0.0.1:${door.port}`);

  let frozen = false;
  let closing: Promise<void> | undefined;
  const serverClosed = new Promise<void>((resolve) => http2.once("close", () => resolve()));

  const destroyConnections = () => {
    door.destroyAll();
    for (const session of sessions) session.destroy();
    for (const socket of sockets) socket.destroy();
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      http2.close();
      // Streams learn of the shutdown first (UNAVAILABLE), then sessions get a GOAWAY.
      state.dispose();
      if (!frozen) for (const session of sessions) session.close();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, frozen ? 0 : 1000).unref());
      await Promise.race([serverClosed, grace]);
      destroyConnections();
      await Promise.all([serverClosed, door.close()]);
    })();
    return closing;
  };

  return {
    endpoint: endpointUrl.origin,
    port: door.port,
    ca: certificateAuthority.cert,
    certificateAuthority,
    client,
    server,
    state,
    lastHeaders: () => (state.lastCall ? Object.fromEntries(state.lastCall.headers) : undefined),
    close,
    crash() {
      // Connections first, so clients see sockets die rather than orderly error trailers.
      destroyConnections();
      frozen = true;
      void close();
    },
    freeze() {
      frozen = true;
      door.freeze();
    },
    [Symbol.asyncDispose]: close,
  };
}
