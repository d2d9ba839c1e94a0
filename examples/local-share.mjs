// Sharing a local gateway with other processes: listen on loopback with mTLS and register it as a
// named gateway, then reach it from a second process with plain OpenShell.connect({ gateway }).
//
//   OPENSHELL_DEMO_BASE_IMAGE=busybox:1.36 node examples/local-share.mjs
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";
// A private config root for the example; leave configRoot out to register in ~/.config/openshell.
const configRoot = join(mkdtempSync(join(tmpdir(), "openshell-share-")), "openshell");

const os = await OpenShell.local({ ephemeral: true });
try {
  const listener = await os.localGateway.listen({ register: "local-example", configRoot });
  console.log(`listening on ${listener.endpoint} (mTLS), registered as ${listener.gatewayName}`);

  // Another process, knowing only the gateway's name and where the config lives.
  const child = `
    import { OpenShell } from "openshell";
    const os = await OpenShell.connect({ gateway: "local-example" });
    // busybox runs as root, which sandboxes never do: the policy names a non-root user instead.
    const sb = await os.sandboxes.create({
      image: ${JSON.stringify(image)},
      policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
    });
    await sb.ready({ timeoutMs: 60_000 });
    console.log((await sb.exec(["echo", "hello from the other process"])).stdout.trim());
    await sb.delete();
    await os.close();
  `;
  // Asynchronously: the gateway runs in this process's event loop and must keep answering.
  const { stdout: output } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", child],
    {
      env: { ...process.env, XDG_CONFIG_HOME: join(configRoot, "..") },
      encoding: "utf8",
    },
  );
  console.log(`the other process printed: ${output.trim()}`);
  await listener.close(); // stops listening and removes the registration
} finally {
  await os.close();
}
