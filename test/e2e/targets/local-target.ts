import { OpenShell } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import type { EngineEndpoint } from "../../../src/runtime/engine-endpoint.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import type { E2eTarget } from "../e2e-target.js";

const endpoints: Record<"docker" | "podman", EngineEndpoint> = {
  docker: dockerTestEndpoint,
  podman: podmanTestEndpoint,
};

/**
 * The embedded local gateway over a real engine, reached the way users reach it: `OpenShell.local()`.
 * Ephemeral, so whatever a failed test leaves is removed when the gateway closes; `close()` then
 * checks that the runtime holds nothing of this gateway's.
 */
export function localTarget(kind: "docker" | "podman"): () => Promise<E2eTarget> {
  return async () => {
    let os: OpenShell | undefined;
    return {
      name: `local gateway on ${kind}`,
      image: testImages.sandbox,
      // A registry that answers (scripts/engines.sh runs it) and has no such image: a fast, real failure.
      failingImage: `${process.env.OPENSHELL_TEST_REGISTRY ?? "127.0.0.1:5000"}/openshell-test/missing:1`,
      // A bare `sleep` as PID 1 ignores SIGTERM, so every stop would wait out the engine's grace period.
      idleCommand: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
      httpServerCommand: (port, body) => [
        "sh",
        "-c",
        `mkdir -p /tmp/www && printf '%s' '${body}' > /tmp/www/index.html && exec httpd -f -p 0.0.0.0:${port} -h /tmp/www`,
      ],
      echoServerCommand: (port) => ["nc", "-ll", "-p", String(port), "-e", "cat"],
      async connect() {
        os = await OpenShell.local({
          runtime: kind,
          runtimeOptions: { endpoint: endpoints[kind] },
          ephemeral: true,
        });
        return os;
      },
      async close() {
        const gatewayId = os?.localGateway?.gatewayId;
        await os?.close();
        if (gatewayId === undefined) return;
        const runtime = await createRuntime({ runtime: kind, endpoint: endpoints[kind] });
        try {
          const labels = { [GATEWAY_LABEL]: gatewayId };
          const left = [
            ...(await runtime.listContainers({ labels })).map((c) => `container ${c.name}`),
            ...(await runtime.listNetworks({ labels })).map((n) => `network ${n.name}`),
            ...(await runtime.listVolumes({ labels })).map((v) => `volume ${v.name}`),
          ];
          if (left.length > 0) throw new Error(`the local gateway left behind: ${left.join(", ")}`);
        } finally {
          await runtime.close();
        }
      },
    };
  };
}
