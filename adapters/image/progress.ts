/**
 * A progress report of `inspectImage`, `prepareImage` or `loadImage`.
 * - `inspect`, `plan`, `verify`: a step began or ended (`message` says which);
 * - `build`: a line of the engine's build output (each RUN step's output included);
 * - `load`: bytes moved so far, with `totalBytes` when the size is known beforehand (the image's
 *   size as the source engine reports it, which the archive exceeds only by its tar headers).
 */
export interface ImageProgressEvent {
  phase: "inspect" | "plan" | "build" | "verify" | "load";
  message: string;
  bytes?: number;
  totalBytes?: number;
}

export type ImageProgressListener = (event: ImageProgressEvent) => void;
