import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../../adapters/image/facts/image-facts.js";
import { assessReadiness } from "../../../../../adapters/image/inspect/readiness.js";
import { factsFrom } from "./probe-fixtures.js";

const requirements = (facts: ImageFacts) => assessReadiness(facts).gaps.map((gap) => gap.requirement);
const gapMessage = (facts: ImageFacts, requirement: string) =>
  assessReadiness(facts).gaps.find((gap) => gap.requirement === requirement)?.message ?? "";

describe("assessReadiness, on recorded probe outputs", () => {
  it("busybox: the ip applet is a gap that says it cannot build namespaces and that nothing can be installed", () => {
    const report = assessReadiness(factsFrom("busybox"));
    expect(report.ready).toBe(false);
    expect(report.gaps).toEqual([
      {
        requirement: "iproute2",
        message:
          "example/busybox:1's `ip` at /bin/ip is busybox's applet, which cannot build the sandbox's network " +
          "namespace: install the iproute2 package (the image has no package manager, so rebuild it on a " +
          "base that has one: Debian, Alpine, UBI, Wolfi).",
      },
    ]);
    expect(report.ip).toEqual({ path: "/bin/ip", kind: "busybox" });
    expect(report.sandboxUser).toEqual({ uid: 1000, gid: 1000 });
    expect(report.sandboxGroup).toEqual({ gid: 1000 });
    expect(report.effectiveUid).toBe(0);
    expect(report.notes).toEqual([
      expect.stringMatching(/^Optional: neither iptables nor nft is installed/),
      expect.stringMatching(/^No \/bin\/bash: the gateway's default sandbox command runs it/),
      expect.stringMatching(/^nsenter at \/bin\/nsenter is busybox's applet/),
      expect.stringMatching(/^The image runs as root \(USER unset\)/),
    ]);
  });

  it("the sandbox image's USER 1000:1000 runs as uid 1000, and is not noted as root", () => {
    const report = assessReadiness(factsFrom("sandbox", { user: "1000:1000" }));
    expect(report.user).toBe("1000:1000");
    expect(report.effectiveUid).toBe(1000);
    expect(report.notes.some((note) => /root/.test(note))).toBe(false);
  });

  it("debian: iproute2 (with apt-get), the sandbox user and the group are missing; nsenter is there", () => {
    const facts = factsFrom("debian", {
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    });
    const report = assessReadiness(facts);
    expect(report.gaps.map((gap) => gap.requirement)).toEqual(["iproute2", "sandbox-user", "sandbox-group"]);
    expect(gapMessage(facts, "iproute2")).toBe(
      "example/debian:1 has no `ip` (the supervisor runs it to build the sandbox's network namespace): " +
        "install the iproute2 package with apt-get; prepareImage() adds it.",
    );
    expect(gapMessage(facts, "sandbox-user")).toMatch(/has no `sandbox` user in \/etc\/passwd/);
    expect(gapMessage(facts, "sandbox-group")).toMatch(/has no `sandbox` group in \/etc\/group/);
    expect(report.distro).toEqual({ id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)" });
    expect(report.nsenter).toEqual({ path: "/usr/bin/nsenter", busybox: false });
    expect(report.bash).toEqual({ path: "/bin/bash" });
    expect(report.notes).toEqual([
      expect.stringMatching(/^Optional: neither iptables nor nft/),
      expect.stringMatching(/runs as root/),
    ]);
  });

  it("debian with iproute2, iptables and a sandbox user, USER sandbox: ready, no gaps, no notes", () => {
    const report = assessReadiness(factsFrom("debian-prepared", { user: "sandbox" }));
    expect(report.gaps).toEqual([]);
    expect(report.ready).toBe(true);
    expect(report.notes).toEqual([]);
    expect(report.ip).toEqual({ path: "/usr/sbin/ip", kind: "iproute2" });
    expect(report.iptables).toEqual({ path: "/usr/sbin/iptables" });
    expect(report.effectiveUid).toBe(1000);
  });

  it("a sandbox user of uid 0 is a gap, not a pass", () => {
    const facts = factsFrom("busybox-hardlink");
    expect(requirements(facts)).toEqual(["iproute2", "sandbox-user"]);
    expect(gapMessage(facts, "sandbox-user")).toMatch(
      /has uid 0 and gid 0; the gateway refuses uid or gid 0/,
    );
  });
});

describe("assessReadiness, on constructed probe outputs", () => {
  it("alpine: the busybox ip is a gap to fix with apk; the busybox nsenter passes with a note", () => {
    const facts = factsFrom("alpine");
    expect(requirements(facts)).toEqual(["iproute2", "sandbox-user", "sandbox-group"]);
    expect(gapMessage(facts, "iproute2")).toMatch(/busybox's applet.*install the iproute2 package with apk/);
    expect(assessReadiness(facts).notes.join("\n")).toMatch(
      /nsenter at \/usr\/bin\/nsenter is busybox's applet/,
    );
  });

  it("fedora and ubi-minimal: no ip and no nsenter, each a gap naming the package manager", () => {
    expect(requirements(factsFrom("fedora"))).toEqual([
      "iproute2",
      "nsenter",
      "sandbox-user",
      "sandbox-group",
    ]);
    expect(gapMessage(factsFrom("fedora"), "nsenter")).toMatch(/install util-linux's nsenter with dnf/);
    expect(gapMessage(factsFrom("ubi-minimal"), "iproute2")).toMatch(/with microdnf/);
  });

  it("opensuse: iproute2 and nsenter there; only the sandbox account is missing", () => {
    const report = assessReadiness(factsFrom("opensuse"));
    expect(report.gaps.map((gap) => gap.requirement)).toEqual(["sandbox-user", "sandbox-group"]);
    expect(report.distro).toEqual({ id: "opensuse-leap", version: "15.6", name: "openSUSE Leap 15.6" });
  });

  it("wolfi with USER nonroot and a PATH without sbin: both sbin folders named, nonroot's uid", () => {
    const facts = factsFrom("wolfi", { user: "nonroot", env: ["PATH=/usr/local/bin:/usr/bin:/bin"] });
    const report = assessReadiness(facts);
    expect(report.gaps.map((gap) => gap.requirement)).toEqual([
      "iproute2",
      "nsenter",
      "sandbox-user",
      "sandbox-group",
      "sbin-on-path",
    ]);
    expect(gapMessage(facts, "sbin-on-path")).toBe(
      "example/wolfi:1's PATH (/usr/local/bin:/usr/bin:/bin) lacks /usr/sbin and /sbin, where the supervisor " +
        "finds `ip` and `nsenter`: add them with `ENV PATH=/usr/sbin:/sbin:$PATH`; prepareImage() adds it.",
    );
    expect(report.effectiveUid).toBe(65532);
  });
});

describe("assessReadiness, edge cases", () => {
  const ready = () => factsFrom("debian-prepared", { user: "sandbox" });

  it("an image without a shell: only the shell gap (nothing else could be read), no notes", () => {
    const facts: ImageFacts = {
      ...ready(),
      shell: false,
      os: undefined,
      packageManager: undefined,
      ip: undefined,
      nsenter: undefined,
      iptables: undefined,
      nft: undefined,
      bash: undefined,
      accountTools: {},
      users: [],
      groups: [],
    };
    const report = assessReadiness(facts);
    expect(report.gaps.map((gap) => gap.requirement)).toEqual(["shell"]);
    expect(report.gaps[0]?.message).toMatch(/has no \/bin\/sh, so nothing inside it could be read/);
    expect(report.notes).toEqual([]);
  });

  it("iproute2's ip only at /usr/local/sbin is a gap naming where the supervisor looks", () => {
    const facts = ready();
    facts.ip = {
      path: "/usr/local/sbin/ip",
      busybox: false,
      kind: "iproute2",
      version: "ip utility, iproute2-6.1.0",
    };
    expect(gapMessage(facts, "iproute2")).toMatch(
      /is at \/usr\/local\/sbin\/ip, where the supervisor does not look \(\/usr\/sbin\/ip, \/sbin\/ip, \/usr\/bin\/ip, \/bin\/ip\)/,
    );
  });

  it("an ip of unknown make is a gap quoting what `ip -V` said", () => {
    const facts = ready();
    facts.ip = { path: "/usr/sbin/ip", busybox: false, kind: "unknown", version: "ip: bad option -V" };
    expect(gapMessage(facts, "iproute2")).toMatch(/is not iproute2's \(`ip -V` said "ip: bad option -V"\)/);
  });

  it("a sandbox group of gid 0 is a gap", () => {
    const facts = ready();
    facts.groups = facts.groups.map((group) => (group.name === "sandbox" ? { ...group, gid: 0 } : group));
    expect(requirements(facts)).toEqual(["sandbox-group"]);
  });

  it("nft without iptables counts for bypass detection: no note", () => {
    const facts = ready();
    facts.iptables = undefined;
    expect(assessReadiness(facts).notes).toEqual([expect.stringMatching(/neither iptables nor nft/)]);
    facts.nft = { path: "/usr/sbin/nft", busybox: false };
    expect(assessReadiness(facts).notes).toEqual([]);
  });

  it("bash only away from /bin/bash is noted: the gateway's default command runs /bin/bash", () => {
    const facts = ready();
    facts.bash = { path: "/usr/local/bin/bash", busybox: false };
    expect(assessReadiness(facts).notes).toEqual([expect.stringMatching(/^No \/bin\/bash/)]);
  });

  it("a USER the image does not have: no effective uid, and a note saying the engine cannot start it", () => {
    const facts = ready();
    facts.config = { ...facts.config, user: "agent" };
    const report = assessReadiness(facts);
    expect(report.effectiveUid).toBeUndefined();
    expect(report.notes).toEqual([expect.stringMatching(/USER "agent" is not in its \/etc\/passwd/)]);
  });

  it("a PATH lacking only /sbin names just that", () => {
    const facts = ready();
    facts.path = ["/usr/local/bin", "/usr/sbin", "/usr/bin", "/bin"];
    expect(gapMessage(facts, "sbin-on-path")).toMatch(/lacks \/sbin, where/);
  });
});
