import { randomUUID } from "node:crypto";
import { type ContainerRuntime, createRuntime, runExec } from "openshell/runtime";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";

export type Kind = "docker" | "podman";

/** Debian's containerd and ctr on the Debian test image (scripts/engines.sh builds it). */
export const CONTAINERD_IMAGE = process.env.OPENSHELL_TEST_CONTAINERD_IMAGE ?? "openshell-test/containerd:1";

export function connect(kind: Kind): Promise<ContainerRuntime> {
  return createRuntime({
    runtime: kind,
    endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint,
  });
}

/**
 * Images a test builds, on whichever engine, and removed from both at the end: by the name, by the
 * name Podman gives it (`localhost/...`), and by id (an image loaded by id has no name).
 */
export class TestImages {
  private readonly names = new Set<string>();
  private readonly ids = new Set<string>();
  private count = 0;
  private readonly suffix = `${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

  /** A fresh name, so that no engine has it already. */
  name(what: string): string {
    this.count += 1;
    const name = `openshell-test/load-${what}-${this.suffix}-${this.count}:1`;
    this.names.add(name);
    return name;
  }

  /**
   * Builds `name` on `runtime` from the busybox test image plus a layer of `mebibytes` of random
   * bytes (incompressible, and in no engine yet). Resolves with its id. On Podman it is
   * `localhost/<name>`, which Podman also finds as `name`.
   */
  async build(runtime: ContainerRuntime, name: string, mebibytes: number): Promise<string> {
    // A rebuild leaves the image it replaces without a name: removed at the end too, by id.
    const info = await runtime.buildImage({
      // Podman's own CLI files a name without a registry under localhost/ (`podman build -t x:1`
      // makes localhost/x:1), its compatible API under docker.io/: built as a Podman user would.
      tag: runtime.kind === "podman" ? `localhost/${name}` : name,
      // A token of its own in the step keeps the engine's build cache from handing back an earlier
      // build (another test's, or this name's before a rebuild).
      dockerfileText: `FROM ${testImages.busybox}\nRUN head -c ${mebibytes * 1024 * 1024} /dev/urandom > /payload && echo ${name} ${randomUUID()} > /name\n`,
    });
    this.ids.add(info.id);
    return info.id;
  }

  async removeAll(runtimes: readonly ContainerRuntime[]): Promise<void> {
    for (const runtime of runtimes) {
      for (const name of this.names) {
        for (const ref of [name, `localhost/${name}`, `docker.io/${name}`]) {
          await runtime.removeImage(ref, { force: true }).catch(() => {});
        }
      }
      for (const id of this.ids) await runtime.removeImage(id, { force: true }).catch(() => {});
    }
  }
}

/** The sha256 of /payload, as a container of `image` computes it: the image's content, seen by a user. */
export async function payloadDigest(runtime: ContainerRuntime, image: string): Promise<string> {
  const { id } = await runtime.createContainer({ image, command: ["sha256sum", "/payload"] });
  try {
    await runtime.startContainer(id);
    const exitCode = await runtime.waitContainer(id);
    let text = "";
    for await (const line of runtime.logs(id)) text += `${line.text}\n`;
    if (exitCode !== 0) throw new Error(`sha256sum exited ${exitCode}: ${text}`);
    return text.trim().split(/\s+/)[0] ?? "";
  } finally {
    await runtime.removeContainer(id, { force: true });
  }
}

/** Runs a command in a container and returns its stdout; throws with its output when it fails. */
export async function execText(
  runtime: ContainerRuntime,
  container: string,
  command: string[],
): Promise<string> {
  const result = await runExec(runtime, container, { command });
  if (result.exitCode !== 0) {
    throw new Error(`${command.join(" ")} exited ${result.exitCode}: ${result.stdout}${result.stderr}`);
  }
  return result.stdout.toString("utf8");
}
