import { InvalidArgumentError } from "openshell/runtime";
import type { ImageFacts } from "../facts/image-facts.js";
import type { PreparationPlan } from "./plan.js";

/**
 * The Dockerfile that prepares `base` as `plan` says: `FROM base`, then the plan's instructions
 * (its RUN steps joined into one).
 * `base` is what the build starts from, best the image id the facts were read from (`sha256:...`),
 * so that a tag moved since inspection cannot change what is built on.
 *
 * @throws InvalidArgumentError when the plan is empty (there is nothing to build: skip the build),
 *   has unmet requirements (the build would give a half-ready image), was made for another image
 *   than `facts` describes, or `base` is not a single word.
 */
export function renderDockerfile(plan: PreparationPlan, facts: ImageFacts, base: string): string {
  if (plan.unmet.length > 0) {
    throw new InvalidArgumentError(
      `The plan for ${facts.ref} has unmet requirements (${plan.unmet.map((gap) => gap.requirement).join(", ")}), so it must not be built: ${plan.unmet[0]?.message}`,
      { field: "plan" },
    );
  }
  if (plan.empty || plan.instructions.length === 0) {
    throw new InvalidArgumentError(`${facts.ref} needs nothing added: skip the build and use it as it is.`, {
      field: "plan",
    });
  }
  if (plan.imageId !== facts.id) {
    throw new InvalidArgumentError(
      `The plan was made for image ${plan.imageId}, not for ${facts.ref} (${facts.id}): plan again from this image's facts.`,
      { field: "plan" },
    );
  }
  if (typeof base !== "string" || !/^\S+$/.test(base)) {
    throw new InvalidArgumentError(
      `base must be an image reference or id without spaces, not ${JSON.stringify(base)}.`,
      { field: "base" },
    );
  }
  return `${[`FROM ${base}`, ...joinRunSteps(plan.instructions)].join("\n")}\n`;
}

/**
 * Consecutive RUN steps as one (`RUN a && b`): each RUN is a layer the engine commits, and a build
 * canceled or failing between two of them would leave the first behind as a dangling image. One
 * RUN either lands whole or leaves nothing.
 */
function joinRunSteps(instructions: readonly string[]): string[] {
  const joined: string[] = [];
  for (const instruction of instructions) {
    const previous = joined.at(-1);
    // A step ending in `;` or `&` would not take `&&` after it; such a step stays on its own.
    if (previous?.startsWith("RUN ") && instruction.startsWith("RUN ") && !/[;&]\s*$/.test(previous)) {
      joined[joined.length - 1] = `${previous} && ${instruction.slice(4)}`;
    } else joined.push(instruction);
  }
  return joined;
}
