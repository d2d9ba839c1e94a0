import { InternalError } from "openshell/runtime";
import type { ImageFacts } from "../facts/image-facts.js";

/**
 * Checks that the prepared image kept what the original set: entrypoint, command, workdir, env
 * (PATH may only have gained entries), labels (only ours added), and ends with the expected USER.
 * A difference is a defect of the preparation, reported rather than shipped.
 */
export function checkPreparedConfig(
  image: string,
  before: ImageFacts,
  after: ImageFacts,
  finalUser: string,
): void {
  const problems: string[] = [];
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((item, index) => item === b[index]);
  if (!same(before.config.entrypoint, after.config.entrypoint)) problems.push("entrypoint changed");
  if (!same(before.config.cmd, after.config.cmd)) problems.push("command changed");
  if (before.config.workdir !== after.config.workdir) problems.push("workdir changed");
  const withoutPath = (env: readonly string[]) => env.filter((entry) => !entry.startsWith("PATH="));
  if (!same(withoutPath(before.config.env), withoutPath(after.config.env))) problems.push("env changed");
  if (!before.path.every((entry) => after.path.includes(entry))) problems.push("PATH lost entries");
  for (const [key, value] of Object.entries(before.config.labels)) {
    // Ours are rewritten when a prepared image is prepared again (to add iptables, say).
    if (key.startsWith("openshell.ai/prepared-")) continue;
    if (after.config.labels[key] !== value) problems.push(`label ${key} changed`);
  }
  if (after.config.user !== finalUser) {
    problems.push(`USER is ${JSON.stringify(after.config.user)}, expected ${JSON.stringify(finalUser)}`);
  }
  if (problems.length > 0) {
    throw new InternalError(
      `the image prepared from ${image} did not keep the original's configuration (${problems.join(", ")}). ` +
        "This is a defect of openshell's image preparation; please report it with the image's `docker inspect`.",
    );
  }
}
