import {
  AppleContainerRuntime,
  type AppleContainerRuntimeOptions,
} from "../../../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { FakeRunner } from "./fake-runner.js";

export const SESSION_ID = "sess0001";
export const SESSION = { "openshell.ai/managed-by": "openshell", "openshell.ai/session": SESSION_ID };
export const SESSION_LABEL_ARGS = ["openshell.ai/managed-by=openshell", "openshell.ai/session=sess0001"];

/** A runtime over a fresh FakeRunner, polling fast and publishing free ports on 49152. */
export function fakeRuntime(options: AppleContainerRuntimeOptions = {}): {
  runtime: AppleContainerRuntime;
  runner: FakeRunner;
} {
  const runner = new FakeRunner();
  const runtime = new AppleContainerRuntime({
    runner,
    sessionId: SESSION_ID,
    pollIntervalMs: 5,
    pickHostPort: async () => 49152,
    ...options,
  });
  return { runtime, runner };
}
