// Make an agent image OpenShell-ready and run it: inspect what it lacks, prepare a derived image
// that adds only that (checked by running it), then start a sandbox from it in local mode and show
// who it runs as. Ctrl-C cancels at any point and leaves nothing behind.
//
//   node examples/prepare-agent-image.mjs [IMAGE] [TAG]
//
// IMAGE must be in the local engine (Docker, Podman or Apple `container`) and have a package
// manager (apt, apk, dnf, microdnf, yum or zypper); the default is the Debian test image that
// `bash scripts/test.sh` makes. The prepared image is kept under TAG.
import { OpenShell } from "openshell";
import { ImageNotReadyError, inspectImage, prepareImage } from "openshell/adapters/image";
import { createRuntime } from "openshell/runtime";

const image = process.argv[2] ?? process.env.OPENSHELL_TEST_DEBIAN_IMAGE ?? "openshell-test/debian:bookworm";
const tag = process.argv[3] ?? "openshell-example/agent:prepared";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
const signal = controller.signal;

// reapOnExit: the short-lived containers inspection runs are removed even if this script is killed.
const runtime = await createRuntime({ reapOnExit: true });
try {
  const before = await inspectImage(runtime, image, { signal });
  console.log(`${image} on ${runtime.kind}: ${before.ready ? "ready" : `${before.gaps.length} gaps`}`);
  for (const gap of before.gaps) console.log(`  - ${gap.requirement}: ${gap.message}`);

  const prepared = await prepareImage(runtime, {
    image,
    tag,
    signal,
    onProgress: (event) => {
      if (event.phase !== "build") console.log(`  [${event.phase}] ${event.message}`);
    },
  });
  console.log(prepared.changed ? `${tag} built; added:` : `${image} needed nothing; tagged ${tag}`);
  for (const item of prepared.added) console.log(`  + ${item}`);

  // The prepared image in a sandbox: local mode runs it as the image's non-root USER.
  const os = await OpenShell.local({ runtime, ephemeral: true });
  try {
    const sandbox = await os.sandboxes.create({ image: tag, command: ["sleep", "3600"] });
    try {
      await sandbox.ready({ timeoutMs: 60_000, signal });
      const who = await sandbox.exec(["sh", "-c", "echo user=$(id -un) uid=$(id -u); ip -V"]);
      console.log(`sandbox ${sandbox.name}: ${who.stdout.trim().replace("\n", ", ")}`);
    } finally {
      await sandbox.delete();
    }
  } finally {
    os.close();
  }
} catch (error) {
  if (error instanceof ImageNotReadyError) {
    console.error(`cannot prepare ${image}: ${error.message}`);
    process.exitCode = 1;
  } else throw error;
} finally {
  await runtime.close();
}
