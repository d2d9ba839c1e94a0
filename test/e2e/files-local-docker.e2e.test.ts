import { describe } from "vitest";
import { testImages } from "../support/test-engines.js";
import { describeFiles } from "./files.suite.js";
import { localTarget } from "./targets/local-target.js";

describe("sandbox files on the local gateway over Docker", () => {
  describeFiles(localTarget("docker"), {
    // The root is read-only under local mode's default filesystem policy; /sandbox and /tmp are writable.
    readOnlyPath: "/etc",
    // Debian's dash honours PATH; run as UID 1000, since local mode refuses root.
    plainShellSandbox: {
      image: testImages.debian,
      policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
    },
    large: true,
  });
});
