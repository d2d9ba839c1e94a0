/**
 * `openshell/adapters/image`: make any agent image OpenShell-ready and move it to where a gateway
 * runs it. Built on the public `openshell` and `openshell/runtime` APIs only.
 *
 * ```ts
 * import { createRuntime } from "openshell/runtime";
 * import { inspectImage, prepareImage } from "openshell/adapters/image";
 * const runtime = await createRuntime();
 * const report = await inspectImage(runtime, "my-agent:1");
 * for (const gap of report.gaps) console.log(gap.message);
 * const prepared = await prepareImage(runtime, { image: "my-agent:1", tag: "my-agent:1-openshell" });
 * ```
 *
 * @packageDocumentation
 */

export { ImageBuildError, ImageLoadError, ImageNotReadyError } from "./errors.js";
export type { PackageManager } from "./facts/image-facts.js";
export type { ImageGap, ImageInspection, ImageRequirement } from "./inspect/image-inspection.js";
export { type InspectImageOptions, inspectImage } from "./inspect/inspect-image.js";
export { loadImage } from "./load/load-image.js";
export type { ContainerdTarget, LoadedImage, LoadImageOptions } from "./load/load-options.js";
export { PREPARED_ADDED_LABEL, PREPARED_FROM_LABEL, prepareImage } from "./prepare/prepare-image.js";
export type { PreparedImage, PrepareImageOptions } from "./prepare/prepare-options.js";
export type { ImageProgressEvent, ImageProgressListener } from "./progress.js";
