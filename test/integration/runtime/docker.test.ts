import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { dockerTestEndpoint, testImages } from "../../support/test-engines.js";
import { describeRuntimeConformance } from "./conformance.suite.js";

describeRuntimeConformance({
  name: "docker",
  busyboxImage: testImages.busybox,
  connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }),
});
