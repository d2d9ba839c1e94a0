// Files in and out of a sandbox: upload a folder, run a command over it, download the result.
// Everything travels over the gateway's exec calls (binary-safe, streamed, confirmed before it
// appears), so the same code works against a remote OpenShell gateway.
//
//   node examples/files.mjs
//
// Needs Docker or Podman on this machine (OPENSHELL_RUNTIME picks one). The image comes from
// OPENSHELL_DEMO_BASE_IMAGE (default busybox:1.36: it has sh, cat, tar, stat and sha256sum, all the
// file API uses). Ctrl-C stops it at any step and still removes the sandbox.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";

// Ctrl-C cancels the transfer under way (nothing is left half-written) and the finally blocks clean up.
const interrupt = new AbortController();
const { signal } = interrupt;
process.once("SIGINT", () => {
  console.log("\nCtrl-C: stopping and removing everything");
  process.exitCode = 130;
  interrupt.abort(new Error("interrupted"));
});

// A small project to work on: a few text files in nested folders, one with a space in its name.
const work = await mkdtemp(join(tmpdir(), "openshell-files-example-"));
const project = join(work, "project");
await mkdir(join(project, "notes", "2026"), { recursive: true });
await writeFile(join(project, "README.txt"), "A project.\nTwo lines.\n");
await writeFile(join(project, "notes", "2026", "day one.txt"), "one\ntwo\nthree\n");
await writeFile(join(project, "data.bin"), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));

const os = await OpenShell.local({ runtime: process.env.OPENSHELL_RUNTIME ?? "auto", ephemeral: true });
const gateway = os.localGateway;
console.log(`runtime ${gateway.runtime.kind}, gateway ${gateway.gatewayId}, state in ${gateway.stateDir}`);
let sb;
try {
  // busybox runs as root, which sandboxes never do: the policy names a non-root user instead.
  sb = await os.sandboxes.create({ image, policy: { process: { runAsUser: "1000", runAsGroup: "1000" } } });
  await sb.ready({ timeoutMs: 60_000, signal });
  console.log(`sandbox ${sb.name} is ready`);

  // 1. Upload the folder (a tar stream into the sandbox's tar; a single file would go as itself).
  const up = await sb.files.upload(project, "/sandbox/project", { signal });
  console.log(`uploaded ${up.kind} ${project} -> /sandbox/project (${up.bytes} bytes)`);
  for (const entry of await sb.files.list("/sandbox/project", { signal })) {
    console.log(
      `    ${entry.type.padEnd(9)} ${entry.mode.toString(8)} ${String(entry.size).padStart(5)} ${entry.name}`,
    );
  }

  // 2. Run a command over it that writes its results to a folder.
  const run = await sb.exec(
    [
      "sh",
      "-c",
      'mkdir -p /sandbox/out && cd /sandbox/project && find . -type f | sort | while read -r f; do wc -l < "$f" | tr -d " " | sed "s|^|$f: |"; done > /sandbox/out/lines.txt && sha256sum data.bin > /sandbox/out/data.sha256',
    ],
    { signal },
  );
  console.log(`report command exit ${run.exitCode}`);

  // 3. Read one result directly, and download the whole folder.
  const lines = Buffer.from(await sb.files.read("/sandbox/out/lines.txt", { signal })).toString();
  console.log(`lines.txt:\n${lines.trim().replace(/^/gm, "    ")}`);
  const out = join(work, "out");
  const down = await sb.files.download("/sandbox/out", out, { signal });
  console.log(
    `downloaded ${down.kind} /sandbox/out -> ${out} (${down.bytes} bytes): ${(await readdir(out)).sort().join(", ")}`,
  );
  console.log(`data.sha256: ${(await readFile(join(out, "data.sha256"), "utf8")).trim()}`);
} catch (error) {
  // A Ctrl-C ends the step under way with a CanceledError; anything else is a real failure.
  if (!signal.aborted) throw error;
} finally {
  if (sb) console.log(`sandbox ${sb.name} deleted: ${await sb.delete().catch((e) => e.message)}`);
  await os.close();
  await rm(work, { recursive: true, force: true });
  console.log("gateway closed, local folder removed");
}
