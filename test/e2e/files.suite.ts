import type { E2eTarget } from "./e2e-target.js";
import { describeHardCases } from "./files/failures.js";
import { type FilesSuiteOptions, useFilesContext } from "./files/fixtures.js";
import { describeSingleFiles } from "./files/single-files.js";
import { describeTrees } from "./files/trees.js";

export type { FilesSuiteOptions };

/**
 * `sb.files` as a user drives it, against one gateway: contents round-trip byte for byte, trees
 * keep their shape, failures and cancels leave nothing under the final name, and missing tools are
 * named. Every assertion is on what the public API returns or what the sandbox then holds.
 */
export function describeFiles(makeTarget: () => Promise<E2eTarget>, options: FilesSuiteOptions = {}): void {
  const ctx = useFilesContext(makeTarget);
  describeSingleFiles(ctx, options);
  describeTrees(ctx);
  describeHardCases(ctx, options);
}
