import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { describeArchiveConformance } from "./archive-conformance.suite.js";

describeArchiveConformance({
  name: "docker",
  busyboxImage: testImages.busybox,
  connect: () => DockerRuntime.connect({ endpoint: dockerTestEndpoint }),
});
describeArchiveConformance({
  name: "podman",
  busyboxImage: testImages.busybox,
  connect: () => PodmanRuntime.connect({ endpoint: podmanTestEndpoint }),
});
