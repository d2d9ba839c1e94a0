import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { describeRuntimeConformance } from "./conformance.suite.js";

describeRuntimeConformance({
  name: "podman",
  busyboxImage: testImages.busybox,
  connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
});
