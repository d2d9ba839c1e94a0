// Providers (credentials kept by the gateway, never printed), policy revisions and the inference
// route, on a local gateway. The gateway's egress proxy enforces the network policy (README,
// "Policy and egress in local mode"; examples/local-egress-inference.mjs shows it at work).
//
//   OPENSHELL_DEMO_BASE_IMAGE=busybox:1.36 node examples/local-providers-policy.mjs
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";
const os = await OpenShell.local({ ephemeral: true });
try {
  const provider = await os.providers.create({
    name: "openai",
    type: "openai",
    credentials: { OPENAI_API_KEY: process.env.OPENAI_API_KEY ?? "sk-example" },
  });
  console.log(
    `provider ${provider.name}: credential keys ${provider.credentialKeys.join(", ")} (values never returned)`,
  );

  // busybox runs as root, which sandboxes never do: the policy names a non-root user instead.
  const sb = await os.sandboxes.create({
    image,
    providers: ["openai"],
    policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
  });
  await sb.ready({ timeoutMs: 60_000 });
  console.log(
    "attached:",
    (await os.providers.listForSandbox(sb.name)).map((p) => p.name),
  );

  const revision = await os.policy.update(sb.name, {
    networkPolicies: { pypi: { name: "pypi", endpoints: [{ host: "pypi.org", port: 443 }] } },
    wait: { timeoutMs: 30_000 },
  });
  console.log(`policy version ${revision.version} is ${revision.status}`);
  for (const r of await os.policy.revisions(sb.name)) console.log(`  revision ${r.version}: ${r.status}`);

  const route = await os.inference.setRoute({ provider: "openai", model: "gpt-4o-mini", verify: false });
  console.log(`inference route ${route.routeName} -> ${route.model}`);

  await sb.delete();
  await sb.deleted({ timeoutMs: 60_000 });
  await os.inference.deleteRoute();
  await os.providers.delete("openai");
} finally {
  await os.close();
}
