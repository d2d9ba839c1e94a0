import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { describeRuntimeConformance } from "./conformance.suite.js";
import { podmanTestEndpoint, testImages } from "./support/test-engines.js";

describeRuntimeConformance({
  name: "podman",
  busyboxImage: testImages.busybox,
  connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
});
