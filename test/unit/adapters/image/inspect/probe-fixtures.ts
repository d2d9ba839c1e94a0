import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ImageFacts } from "../../../../../adapters/image/facts/image-facts.js";
import { imagePath } from "../../../../../adapters/image/inspect/image-config.js";
import { parseProbeOutput } from "../../../../../adapters/image/inspect/parse-probe.js";

const folder = join(dirname(fileURLToPath(import.meta.url)), "../../../../fixtures/images/probe");

/** A probe output from test/fixtures/images/probe (see SOURCES.md there for which are recorded). */
export function probeOutput(name: string): string {
  return readFileSync(join(folder, `${name}.txt`), "utf8");
}

/** Facts as inspection makes them: the probe's output for `name` plus an image config. */
export function factsFrom(name: string, config: Partial<ImageFacts["config"]> = {}): ImageFacts {
  const full = { user: "", entrypoint: [], cmd: [], workdir: "", env: [], labels: {}, ...config };
  return {
    ref: `example/${name}:1`,
    id: `sha256:${"0".repeat(64)}`,
    shell: true,
    config: full,
    path: imagePath(full.env),
    ...parseProbeOutput(probeOutput(name)),
  };
}
