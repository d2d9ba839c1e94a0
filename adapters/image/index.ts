/**
 * `openshell/adapters/image`: make any agent image OpenShell-ready and move it to where a gateway
 * runs it. Built on the public `openshell` and `openshell/runtime` APIs only.
 *
 * ```ts
 * import { createRuntime } from "openshell/runtime";
 * import { inspectImage } from "openshell/adapters/image";
 * const runtime = await createRuntime();
 * const report = await inspectImage(runtime, "my-agent:1");
 * for (const gap of report.gaps) console.log(gap.message);
 * ```
 *
 * @packageDocumentation
 */

export { ImageBuildError, ImageNotReadyError } from "./errors.js";
export type { PackageManager } from "./facts/image-facts.js";
export type { ImageGap, ImageInspection, ImageRequirement } from "./inspect/image-inspection.js";
export type { ImageProgressEvent, ImageProgressListener } from "./progress.js";
