import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

const run = promisify(execFile);
const dockerHost = `unix://${(dockerTestEndpoint as { socketPath: string }).socketPath}`;

/** Docker's own CLI, which parses the reference with its own copy of the grammar before the daemon does. */
async function dockerCli(...args: string[]): Promise<boolean> {
  return run("docker", args, { env: { ...process.env, DOCKER_HOST: dockerHost } }).then(
    () => true,
    () => false,
  );
}

// Strings near the grammar's edges: upper case, separators doubled or at an end, '/' and ':' in odd
// places, whitespace, registries with '_' or a port of letters, tags from empty to past 128
// characters, names around the 255-character limit. Each holds a token (filled in per run) so it
// can never name an image someone else uses, and so every name made can be taken off again.
// Pieces are mostly what the grammar allows (a quarter to a third of the references come out valid).
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^(?:[a-z0-9]{1,3}(?:[._-]|__|--)?)?$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9._\-/:A ]{1,3}$/) },
);
const registry = fc.oneof(
  { weight: 2, arbitrary: fc.constant("localhost") },
  fc.stringMatching(/^[a-zA-Z0-9_-]{1,5}(?:\.[a-zA-Z0-9_-]{1,5}){0,2}$/),
  fc
    .tuple(fc.stringMatching(/^[a-z0-9.-]{1,8}$/), fc.stringMatching(/^[0-9a-z]{1,5}$/))
    .map(([host, port]) => `${host}:${port}`),
);
const tag = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9_.-]{0,8}$/),
  fc.integer({ min: 120, max: 136 }).map((length) => "t".repeat(length)),
);
const reference = fc.record({
  registry: fc.option(registry, { nil: undefined, freq: 3 }),
  before: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9]{1,3}(?:(?:[._-]|__|--)[a-z0-9]{1,3})?$/) },
      { weight: 1, arbitrary: piece },
    ),
    { maxLength: 2 },
  ),
  prefix: piece,
  suffix: piece,
  // Pads the name (all before the tag) to a length around the 255 characters Docker allows once it
  // has put docker.io/library/ (one part) or docker.io/ (more parts) in front of a name with no registry.
  nameLength: fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.integer({ min: 232, max: 260 }) },
  ),
  tag: fc.option(tag, { nil: undefined }),
  digest: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true)),
});
type Reference = typeof reference extends fc.Arbitrary<infer T> ? T : never;

let made = 0;
function format(parts: Reference): string {
  const token = `zq${process.pid}x${made++}`;
  const before =
    (parts.registry === undefined ? "" : `${parts.registry}/`) + parts.before.map((c) => `${c}/`).join("");
  // Reversed, a piece's trailing separator leads instead (token + ".ab"), which the grammar allows.
  const after = parts.suffix.split("").reverse().join("");
  const unpadded = before.length + parts.prefix.length + token.length + after.length;
  const padding = "z".repeat(Math.max(0, (parts.nameLength ?? 0) - unpadded));
  return (
    before +
    parts.prefix +
    token +
    padding +
    after +
    (parts.tag === undefined ? "" : `:${parts.tag}`) +
    (parts.digest ? `@sha256:${"5".repeat(64)}` : "")
  );
}

describe("tagImage's reference check agrees with Docker's CLI", () => {
  let docker: ContainerRuntime;
  let podman: ContainerRuntime;
  const verdicts = { accepted: 0, refused: 0 };

  beforeAll(async () => {
    docker = await DockerRuntime.connect({ endpoint: dockerTestEndpoint });
    podman = await PodmanRuntime.connect({ endpoint: podmanTestEndpoint });
  });

  afterAll(async () => {
    await docker.close();
    await podman.close();
  });

  it("accepts exactly the targets `docker tag` accepts, and each then tags on both engines", async () => {
    await fc.assert(
      fc.asyncProperty(reference, async (parts) => {
        const target = format(parts);
        const cliAccepts = await dockerCli("tag", "--", testImages.busybox, target);
        if (cliAccepts) await dockerCli("rmi", "--", target);
        const outcomes = await Promise.all(
          [docker, podman].map(async (runtime) => {
            const refused = await runtime.tagImage(testImages.busybox, target).then(
              () => undefined,
              (error: unknown) => error,
            );
            if (refused !== undefined) return refused;
            const present = await runtime.hasImage(target);
            // Without force: only this name comes off; busybox keeps its own.
            await runtime.removeImage(target);
            return present;
          }),
        );
        if (cliAccepts) {
          verdicts.accepted++;
          expect(outcomes, target).toEqual([true, true]);
        } else {
          verdicts.refused++;
          // Refused before any engine is asked, as an InvalidArgumentError naming the target.
          for (const outcome of outcomes) {
            expect(outcome, target).toBeInstanceOf(InvalidArgumentError);
            expect(outcome, target).toMatchObject({ field: "target" });
          }
        }
      }),
      { numRuns: 150 },
    );
    // Both kinds were tried, so the agreement means something.
    expect(verdicts.accepted).toBeGreaterThanOrEqual(10);
    expect(verdicts.refused).toBeGreaterThanOrEqual(10);
  });
});
