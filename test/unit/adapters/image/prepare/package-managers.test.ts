import { describe, expect, it } from "vitest";
import type { OsRelease } from "../../../../../adapters/image/facts/image-facts.js";
import { parseOsRelease } from "../../../../../adapters/image/facts/os-release.js";
import { packageNames } from "../../../../../adapters/image/prepare/package-managers.js";
import { planPreparation } from "../../../../../adapters/image/prepare/plan.js";
import { distroFacts } from "./distro-facts.js";

const GROUPADD_USERADD_1000 =
  "RUN /usr/sbin/groupadd --gid 1000 sandbox && /usr/sbin/useradd --uid 1000 --gid 1000 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox && mkdir -p /sandbox && chown 1000:1000 /sandbox";
const BUSYBOX_ADDGROUP_ADDUSER_1000 =
  "RUN /usr/sbin/addgroup -g 1000 sandbox && /usr/sbin/adduser -D -H -h /sandbox -s /bin/sh -G sandbox -u 1000 sandbox && mkdir -p /sandbox && chown 1000:1000 /sandbox";
const FILE_WRITES_1000 =
  "RUN printf '%s\\n' sandbox:x:1000: >> /etc/group && if [ -e /etc/gshadow ]; then printf '%s\\n' 'sandbox:!::' >> /etc/gshadow; fi && printf '%s\\n' sandbox:x:1000:1000::/sandbox:/bin/sh >> /etc/passwd && if [ -e /etc/shadow ]; then printf '%s\\n' 'sandbox:!:::::::' >> /etc/shadow; fi && mkdir -p /sandbox && chown 1000:1000 /sandbox";

describe("the exact build steps each distribution gets, from its recorded or documented facts", () => {
  it("Debian 12 (recorded from the test image): apt-get installs only iproute2; util-linux's nsenter is already there", () => {
    const plan = planPreparation(distroFacts("debian-12"));
    expect(plan.packages).toEqual(["iproute2"]);
    expect(plan.instructions).toEqual([
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*",
      GROUPADD_USERADD_1000,
      "USER sandbox",
    ]);
    expect(plan.added).toEqual([
      "iproute2 (apt-get install iproute2)",
      "group sandbox (gid 1000) with groupadd",
      "user sandbox (uid 1000, gid 1000, home /sandbox) with useradd",
      "USER sandbox",
    ]);
  });

  it("Debian 12 with iptables asked for: one apt-get install for both packages", () => {
    const plan = planPreparation(distroFacts("debian-12"), { iptables: true });
    expect(plan.instructions[0]).toBe(
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 iptables && rm -rf /var/lib/apt/lists/*",
    );
    expect(plan.added.slice(0, 2)).toEqual([
      "iproute2 (apt-get install iproute2)",
      "iptables (apt-get install iptables)",
    ]);
  });

  it("Ubuntu 24.04: uid and gid 1000 belong to the image's ubuntu user, so sandbox gets 1001", () => {
    const plan = planPreparation(distroFacts("ubuntu-24.04"));
    expect(plan.instructions).toEqual([
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*",
      "RUN /usr/sbin/groupadd --gid 1001 sandbox && /usr/sbin/useradd --uid 1001 --gid 1001 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox && mkdir -p /sandbox && chown 1001:1001 /sandbox",
      "USER sandbox",
    ]);
  });

  it("Alpine 3.20: apk replaces busybox's ip with iproute2; busybox's addgroup/adduser make the accounts", () => {
    const plan = planPreparation(distroFacts("alpine-3.20"));
    expect(plan.instructions).toEqual([
      "RUN apk add --no-cache iproute2",
      BUSYBOX_ADDGROUP_ADDUSER_1000,
      "USER sandbox",
    ]);
    expect(plan.added[0]).toBe("iproute2 (apk add iproute2)");
  });

  it("Alpine: nsenter comes from util-linux before 3.17 and from util-linux-misc from 3.17 on", () => {
    const without = { nsenter: undefined };
    expect(planPreparation(distroFacts("alpine-3.16", without)).instructions[0]).toBe(
      "RUN apk add --no-cache iproute2 util-linux",
    );
    expect(planPreparation(distroFacts("alpine-3.20", without)).instructions[0]).toBe(
      "RUN apk add --no-cache iproute2 util-linux-misc",
    );
  });

  it("Wolfi: iproute2 (busybox there has no ip applet at all), accounts with busybox's tools", () => {
    const plan = planPreparation(distroFacts("wolfi"), { iptables: true });
    expect(plan.instructions).toEqual([
      "RUN apk add --no-cache iproute2 iptables",
      BUSYBOX_ADDGROUP_ADDUSER_1000,
      "USER sandbox",
    ]);
    expect(planPreparation(distroFacts("wolfi", { nsenter: undefined })).packages).toEqual([
      "iproute2",
      "util-linux-misc",
    ]);
  });

  it("Fedora 40: dnf installs iproute (nsenter is in util-linux-core, already in the base); iptables-nft when asked", () => {
    const plan = planPreparation(distroFacts("fedora-40"), { iptables: true });
    expect(plan.instructions).toEqual([
      "RUN dnf install -y --setopt=install_weak_deps=False iproute iptables-nft && dnf clean all",
      GROUPADD_USERADD_1000,
      "USER sandbox",
    ]);
    expect(planPreparation(distroFacts("fedora-40", { nsenter: undefined })).packages).toEqual([
      "iproute",
      "util-linux-core",
    ]);
  });

  it("UBI 9 minimal: microdnf with its own flags, and /etc/passwd and /etc/group written directly (no shadow-utils)", () => {
    const plan = planPreparation(distroFacts("ubi9-minimal"));
    expect(plan.instructions).toEqual([
      "RUN microdnf install -y --nodocs --setopt=install_weak_deps=0 iproute util-linux && microdnf clean all",
      FILE_WRITES_1000,
      "USER sandbox",
    ]);
    expect(plan.added).toContain("user sandbox (uid 1000, gid 1000, home /sandbox) in /etc/passwd");
    expect(planPreparation(distroFacts("ubi9-minimal"), { iptables: true }).packages).toEqual([
      "iproute",
      "util-linux",
      "iptables-nft",
    ]);
  });

  it("Amazon Linux 2: yum, the EL7 names (iptables, not iptables-nft), caches removed, files written", () => {
    const plan = planPreparation(distroFacts("amazonlinux-2"), { iptables: true });
    expect(plan.instructions).toEqual([
      "RUN yum install -y iproute util-linux iptables && yum clean all && rm -rf /var/cache/yum",
      FILE_WRITES_1000,
      "USER sandbox",
    ]);
  });

  it("openSUSE Leap 15.6: nothing to install unless iptables is asked for, then zypper non-interactively", () => {
    const plain = planPreparation(distroFacts("opensuse-leap-15.6"));
    expect(plain.packages).toEqual([]);
    expect(plain.instructions).toEqual([GROUPADD_USERADD_1000, "USER sandbox"]);
    const withIptables = planPreparation(distroFacts("opensuse-leap-15.6"), { iptables: true });
    expect(withIptables.instructions[0]).toBe(
      "RUN zypper --non-interactive install --no-recommends iptables && zypper clean --all",
    );
    const bare = planPreparation(distroFacts("opensuse-leap-15.6", { ip: undefined, nsenter: undefined }));
    expect(bare.instructions[0]).toBe(
      "RUN zypper --non-interactive install --no-recommends iproute2 util-linux && zypper clean --all",
    );
  });
});

describe("package names for distributions without a fixture of their own", () => {
  const os = (text: string): OsRelease => parseOsRelease(text) as OsRelease;
  it("RHEL-family 8 keeps iptables, 9 takes iptables-nft; Amazon Linux 2023 is nft too", () => {
    expect(packageNames("dnf", os('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n'))).toEqual({
      iproute2: "iproute",
      nsenter: "util-linux",
      iptables: "iptables",
    });
    expect(packageNames("dnf", os('ID="almalinux"\nVERSION_ID="9.4"\n')).iptables).toBe("iptables-nft");
    expect(packageNames("dnf", os('ID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n')).iptables).toBe(
      "iptables-nft",
    );
  });

  it("Fedora names hold whichever of dnf, microdnf or yum runs them (fedora-minimal has microdnf)", () => {
    for (const manager of ["dnf", "microdnf", "yum"] as const) {
      expect(packageNames(manager, os("ID=fedora\nVERSION_ID=41\n")).nsenter).toBe("util-linux-core");
    }
  });

  it("an Alpine whose version cannot be read gets util-linux, which pulls the split packages in on every release", () => {
    expect(packageNames("apk", os('ID=alpine\nVERSION_ID="edge"\n')).nsenter).toBe("util-linux");
    expect(packageNames("apk", undefined).nsenter).toBe("util-linux");
  });
});
