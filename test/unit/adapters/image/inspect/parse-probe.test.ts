import { describe, expect, it } from "vitest";
import { parseGroup } from "../../../../../adapters/image/facts/accounts.js";
import { parseProbeOutput, probeOutputProblem } from "../../../../../adapters/image/inspect/parse-probe.js";
import { probeOutput } from "./probe-fixtures.js";

describe("parseProbeOutput, from outputs recorded on this machine", () => {
  it("busybox: ip and nsenter are busybox applets (symlinks), no package manager, no os-release", () => {
    const facts = parseProbeOutput(probeOutput("busybox"));
    expect(facts.os).toBeUndefined();
    expect(facts.packageManager).toBeUndefined();
    expect(facts.ip).toEqual({
      path: "/bin/ip",
      busybox: true,
      kind: "busybox",
      version: "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.",
    });
    expect(facts.nsenter).toEqual({ path: "/bin/nsenter", busybox: true });
    expect(facts.bash).toBeUndefined();
    expect(facts.iptables).toBeUndefined();
    expect(facts.accountTools).toEqual({});
    expect(facts.users.map((user) => user.name)).toEqual(["root", "sandbox", "nobody"]);
    expect(facts.groups.find((group) => group.name === "sandbox")?.gid).toBe(1000);
  });

  it("busybox hard-linked as /usr/sbin/ip: an applet by inode, though readlink -f sees no busybox", () => {
    const facts = parseProbeOutput(probeOutput("busybox-hardlink"));
    expect(facts.ip).toMatchObject({ path: "/usr/sbin/ip", busybox: true, kind: "busybox" });
    // The last line of /etc/passwd had no newline; it is still read.
    expect(facts.users.find((user) => user.name === "sandbox")).toMatchObject({ uid: 0, gid: 0 });
  });

  it("debian: apt, util-linux nsenter, /bin/bash, shadow's useradd and Debian's Perl adduser; no ip", () => {
    const facts = parseProbeOutput(probeOutput("debian"));
    expect(facts.os).toEqual({
      id: "debian",
      idLike: [],
      versionId: "12",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(facts.packageManager).toBe("apt");
    expect(facts.ip).toBeUndefined();
    expect(facts.nsenter).toEqual({ path: "/usr/bin/nsenter", busybox: false });
    // Found as /usr/bin/bash first (merged /usr), reported as /bin/bash, the path the gateway runs.
    expect(facts.bash).toEqual({ path: "/bin/bash", busybox: false });
    expect(facts.accountTools).toEqual({
      useradd: { path: "/usr/sbin/useradd", busybox: false },
      groupadd: { path: "/usr/sbin/groupadd", busybox: false },
      adduser: { path: "/usr/sbin/adduser", busybox: false, flavour: "debian" },
      addgroup: { path: "/usr/sbin/addgroup", busybox: false, flavour: "debian" },
    });
    expect(facts.users.some((user) => user.name === "sandbox")).toBe(false);
    expect(facts.users.find((user) => user.name === "_apt")).toMatchObject({ uid: 42, gid: 65534 });
  });

  it("curl (Debian plus curl): the same tools as Debian", () => {
    const facts = parseProbeOutput(probeOutput("curl"));
    expect(facts.packageManager).toBe("apt");
    expect(facts.ip).toBeUndefined();
    expect(facts.nsenter?.path).toBe("/usr/bin/nsenter");
  });

  it("debian with iproute2 and iptables installed: iproute2's ip where the supervisor looks first", () => {
    const facts = parseProbeOutput(probeOutput("debian-prepared"));
    expect(facts.ip).toEqual({
      path: "/usr/sbin/ip",
      busybox: false,
      kind: "iproute2",
      version: "ip utility, iproute2-6.1.0, libbpf 1.1.2",
    });
    expect(facts.iptables).toEqual({ path: "/usr/sbin/iptables", busybox: false });
    expect(facts.users.find((user) => user.name === "sandbox")).toMatchObject({ uid: 1000, gid: 1000 });
  });
});

describe("parseProbeOutput, from outputs constructed from the distributions' published layouts", () => {
  it("alpine: apk, and ip, nsenter, adduser and addgroup all busybox applets", () => {
    const facts = parseProbeOutput(probeOutput("alpine"));
    expect(facts.os).toMatchObject({ id: "alpine", versionId: "3.20.3", prettyName: "Alpine Linux v3.20" });
    expect(facts.packageManager).toBe("apk");
    expect(facts.ip).toMatchObject({ path: "/sbin/ip", kind: "busybox" });
    expect(facts.nsenter).toEqual({ path: "/usr/bin/nsenter", busybox: true });
    expect(facts.accountTools).toEqual({
      adduser: { path: "/usr/sbin/adduser", busybox: true, flavour: "busybox" },
      addgroup: { path: "/usr/sbin/addgroup", busybox: true, flavour: "busybox" },
    });
    expect(facts.bash).toBeUndefined();
  });

  it("fedora: dnf before yum, adduser as a link to useradd is neither Debian's nor busybox's", () => {
    const facts = parseProbeOutput(probeOutput("fedora"));
    expect(facts.os).toMatchObject({ id: "fedora", versionId: "40" });
    expect(facts.packageManager).toBe("dnf");
    expect(facts.accountTools.adduser).toEqual({
      path: "/usr/sbin/adduser",
      busybox: false,
      flavour: "other",
    });
    expect(facts.accountTools.useradd?.path).toBe("/usr/sbin/useradd");
    expect(facts.ip).toBeUndefined();
    expect(facts.nsenter).toBeUndefined();
  });

  it("ubi-minimal: microdnf, ID_LIKE fedora, no user tools at all", () => {
    const facts = parseProbeOutput(probeOutput("ubi-minimal"));
    expect(facts.os).toMatchObject({ id: "rhel", idLike: ["fedora"], versionId: "9.4" });
    expect(facts.packageManager).toBe("microdnf");
    expect(facts.accountTools).toEqual({});
  });

  it("opensuse: zypper, and iproute2's ip at /sbin/ip (before /usr/bin/ip in the supervisor's order)", () => {
    const facts = parseProbeOutput(probeOutput("opensuse"));
    expect(facts.os).toMatchObject({ id: "opensuse-leap", idLike: ["suse", "opensuse"] });
    expect(facts.packageManager).toBe("zypper");
    expect(facts.ip).toMatchObject({ path: "/sbin/ip", kind: "iproute2" });
    expect(facts.nsenter).toEqual({ path: "/usr/bin/nsenter", busybox: false });
  });

  it("wolfi: apk, busybox adduser, a nonroot user", () => {
    const facts = parseProbeOutput(probeOutput("wolfi"));
    expect(facts.os).toMatchObject({ id: "wolfi", prettyName: "Wolfi" });
    expect(facts.packageManager).toBe("apk");
    expect(facts.accountTools.adduser).toMatchObject({ busybox: true, flavour: "busybox" });
    expect(facts.users.find((user) => user.name === "nonroot")?.uid).toBe(65532);
  });
});

describe("probe output robustness", () => {
  const lines = (...records: string[]) => `${records.join("\n")}\n`;

  it("whole output has no problem; cut short, foreign or another version does", () => {
    expect(probeOutputProblem(probeOutput("debian"))).toBeUndefined();
    const cut = probeOutput("debian").replace(/\nend\n$/, "\n");
    expect(probeOutputProblem(cut)).toMatch(/cut short/);
    expect(probeOutputProblem("hello from an entrypoint\n")).toMatch(/header/);
    expect(probeOutputProblem(lines("openshell-probe\t1", "end"))).toMatch(/format "1"/);
  });

  it("file lines cannot pass for records: a passwd line reading `end` does not end the output", () => {
    const output = lines(
      "banner printed before the probe",
      "openshell-probe\t2",
      "passwd\tend\tlf",
      "passwd\tsandbox:x:1000:1000::/home/sandbox:/bin/sh\tlf",
      "os-release\tID=alpine\tstill the same line\tlf",
      "tool\tip\t/sbin/ip\t0\t/sbin/ip",
      "ip-version\t/sbin/ip\tip utility, iproute2-6.9.0",
      "end",
      "tool\tnsenter\t/usr/bin/nsenter\t0\t/usr/bin/nsenter",
    );
    expect(probeOutputProblem(output)).toBeUndefined();
    const facts = parseProbeOutput(output);
    expect(facts.users.map((user) => user.name)).toEqual(["sandbox"]);
    expect(facts.os?.id).toBe("alpine\tstill the same line");
    expect(facts.ip).toMatchObject({ path: "/sbin/ip", kind: "iproute2" });
    // Anything after `end` is not the probe's.
    expect(facts.nsenter).toBeUndefined();
  });

  it("an ip that answers neither as iproute2 nor busybox is unknown, with what it said", () => {
    const facts = parseProbeOutput(
      lines(
        "openshell-probe\t2",
        "tool\tip\t/bin/ip\t0\t/opt/ip/bin/ip",
        "ip-version\t/bin/ip\tip: command failed",
        "end",
      ),
    );
    expect(facts.ip).toEqual({
      path: "/bin/ip",
      busybox: false,
      kind: "unknown",
      version: "ip: command failed",
    });
  });

  it("an ip only outside the supervisor's folders is still reported, where it is", () => {
    const facts = parseProbeOutput(
      lines(
        "openshell-probe\t2",
        "tool\tip\t/usr/local/sbin/ip\t0\t/usr/local/sbin/ip",
        "ip-version\t/usr/local/sbin/ip\tip utility, iproute2-6.1.0",
        "end",
      ),
    );
    expect(facts.ip).toMatchObject({ path: "/usr/local/sbin/ip", kind: "iproute2" });
  });

  it("CRLF line ends are read like LF", () => {
    const facts = parseProbeOutput(probeOutput("debian").replaceAll("\n", "\r\n"));
    expect(facts.os?.id).toBe("debian");
    expect(facts.packageManager).toBe("apt");
  });
});

describe("file lines keep every byte through the runtime's log lines (found by probe-property.test.ts)", () => {
  // The counterexample the property found (seed 12072026): an /etc/group whose one line ends in
  // CR CR and has no newline. What the probe printed, as runtime.logs() handed it over on Docker
  // (openshell-test/busybox:1, the file bind-mounted over /etc/group; empty passwd and os-release).
  // Format 1 printed `group\t_::0:\r\r` + LF: the log reader dropped the CR before the LF and the
  // parser's CR LF split the other, so the member was lost. Format 2 ends each file line with its
  // end (`eof`: the file had no last newline), so no CR of the file is ever last.
  const group = "_::0:\r\r";
  const logLines = [
    "openshell-probe\t2",
    "os-release-file\t/etc/os-release",
    "group\t_::0:\r\r\teof",
    "tool\tip\t/bin/ip\t1\t/bin/busybox",
    "ip-version\t/bin/ip\tBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.",
    "tool\tnsenter\t/bin/nsenter\t1\t/bin/busybox",
    "tool\tbusybox\t/bin/busybox\t1\t/bin/busybox",
    "end",
  ];

  it("a last line ending in CR CR without a newline: the member keeps both CRs, as parsing the file does", () => {
    const output = logLines.join("\n");
    expect(probeOutputProblem(output)).toBeUndefined();
    const facts = parseProbeOutput(output);
    expect(facts.groups).toEqual(parseGroup(group));
    expect(facts.groups).toEqual([{ name: "_", gid: 0, members: ["\r\r"] }]);
  });

  it("a file line without its end field (lf or eof) is not the probe's and adds nothing", () => {
    const output = [
      "openshell-probe\t2",
      "passwd\troot:x:0:0:root:/root:/bin/sh\tlf",
      "passwd\tcut:x:1:1::/:/bin/sh",
      "passwd\ttabbed\tname:x:2:2::/:/bin/sh\tlf",
      "end",
    ].join("\n");
    expect(parseProbeOutput(output).users.map((user) => user.name)).toEqual(["root", "tabbed\tname"]);
  });
});
