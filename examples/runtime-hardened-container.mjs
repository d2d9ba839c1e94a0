// A hardened throwaway container through the runtime layer alone (no gateway): whichever engine is
// here (OPENSHELL_RUNTIME, else detection), capabilities checked up front, a non-root read-only
// container with no capabilities, a command run in it, its logs, and everything reaped at the end,
// or by the watcher if this process is killed first.
//
//   npm run build && IMAGE=openshell-test/busybox:1 node examples/runtime-hardened-container.mjs
import { createRuntime, runExec } from "openshell/runtime";

const image = process.env.IMAGE ?? "openshell-test/busybox:1";
const runtime = await createRuntime({ reapOnExit: true });
try {
  const info = await runtime.info();
  console.log(`runtime ${info.kind} ${info.version} at ${runtime.endpoint} (rootless: ${info.rootless})`);
  runtime.require(["exec", "read-only-root", "cap-add-drop", "no-new-privileges", "tmpfs"]);
  if (!(await runtime.hasImage(image))) {
    throw new Error(
      `image ${image} is not present; build or load it first (scripts/engines.sh makes the test image)`,
    );
  }

  const { id, name } = await runtime.createContainer({
    image,
    command: ["sh", "-c", "echo started as $(id -u); sleep 3600"],
    user: "1000:1000",
    readOnlyRoot: true,
    capDrop: ["ALL"],
    noNewPrivileges: true,
    resources: { cpus: 0.5, memoryMiB: 64, pidsLimit: 64 },
    mounts: [{ type: "tmpfs", target: "/tmp", sizeMiB: 16 }],
    labels: { "example.openshell.ai/name": "hardened" },
  });
  await runtime.startContainer(id);
  console.log(`container ${name} running`);

  const checks = await runExec(runtime, id, {
    command: [
      "sh",
      "-c",
      "touch /etc/x 2>&1; touch /tmp/ok && echo tmp writable; grep -E 'CapEff|NoNewPrivs' /proc/self/status",
    ],
  });
  console.log(checks.stdout.toString().trimEnd());

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 500);
  try {
    for await (const line of runtime.logs(id, { follow: true, signal: controller.signal })) {
      console.log(`log ${line.stream}: ${line.text}`);
    }
  } catch (error) {
    if (error.code !== "canceled") throw error;
  }
} finally {
  const removed = await runtime.reap();
  console.log(
    `reaped ${removed.containers} container(s), ${removed.networks} network(s), ${removed.volumes} volume(s)`,
  );
  await runtime.close();
}
