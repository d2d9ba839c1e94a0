import type { OsRelease, PackageManager } from "../facts/image-facts.js";
import { shellQuote } from "./quoting.js";

/** The package that provides each installable requirement on one distribution. */
export interface PackageNames {
  iproute2: string;
  nsenter: string;
  iptables: string;
}

/**
 * The packages for `ip`, `nsenter` and `iptables` on the image's distribution, chosen from its
 * package manager and `/etc/os-release`. Where the names:
 *
 * - apk, Alpine: `iproute2`; `nsenter` is in `util-linux-misc` from 3.17 (aports MR !22503 "finish
 *   package splitting" moved the binaries out of `util-linux`; `util-linux` still pulls them in
 *   through `install_if`, so it is the choice before 3.17 and when the version cannot be read);
 *   `iptables`.
 * - apk, Wolfi (`ID=wolfi`): `iproute2` (installs `ip` to /usr/bin, which Wolfi's merged-sbin layout
 *   also reaches as /usr/sbin); `util-linux-misc` (wolfi-dev/os util-linux.yaml: its test runs
 *   `nsenter --version`); `iptables`.
 * - apt-get, Debian and Ubuntu: `iproute2`, `util-linux` (Essential on Debian 12, so normally
 *   already there), `iptables`.
 * - dnf and microdnf, Fedora: `iproute`; `util-linux-core` (Fedora's util-linux.spec lists
 *   /usr/bin/nsenter under util-linux-core, the subpackage its container base image installs instead
 *   of util-linux); `iptables-nft` (two packages provide `iptables` on Fedora, legacy and nft, so
 *   the name is explicit; nft is the default backend).
 * - dnf, microdnf and yum, RHEL family (RHEL/UBI, CentOS, Rocky, Alma, Oracle, Amazon Linux):
 *   `iproute`; `util-linux`, which holds `nsenter` on EL7/EL8 and Amazon Linux 2 and depends on
 *   `util-linux-core` on EL9 and later, so it works whichever subpackage carries the binary there;
 *   `iptables-nft` from EL9 and Amazon Linux 2023 (Fedora's spec drops the legacy `Provides:
 *   iptables` there), `iptables` before.
 * - zypper, openSUSE and SLE: `iproute2`, `util-linux`, `iptables`.
 */
export function packageNames(manager: PackageManager, os: OsRelease | undefined): PackageNames {
  switch (manager) {
    case "apk":
      if (isFamily(os, "wolfi"))
        return { iproute2: "iproute2", nsenter: "util-linux-misc", iptables: "iptables" };
      return {
        iproute2: "iproute2",
        nsenter: atLeast(os?.versionId, 3, 17) ? "util-linux-misc" : "util-linux",
        iptables: "iptables",
      };
    case "apt":
      return { iproute2: "iproute2", nsenter: "util-linux", iptables: "iptables" };
    case "dnf":
    case "microdnf":
    case "yum":
      if (os?.id === "fedora")
        return { iproute2: "iproute", nsenter: "util-linux-core", iptables: "iptables-nft" };
      return {
        iproute2: "iproute",
        nsenter: "util-linux",
        iptables: nftByDefault(os) ? "iptables-nft" : "iptables",
      };
    case "zypper":
      return { iproute2: "iproute2", nsenter: "util-linux", iptables: "iptables" };
  }
}

/** How each package manager's install reads in a plan's `added` phrases (`apk add iproute2`). */
export const INSTALL_VERB: Readonly<Record<PackageManager, string>> = {
  apk: "apk add",
  apt: "apt-get install",
  dnf: "dnf install",
  microdnf: "microdnf install",
  yum: "yum install",
  zypper: "zypper install",
};

/**
 * The shell command that installs `packages` non-interactively, without recommended/weak
 * dependencies, and leaves no package index or cache in the layer:
 *
 * - apk: `--no-cache` fetches the index into a temporary location and keeps nothing.
 * - apt-get: the index is downloaded first (images ship without one) and removed after;
 *   `DEBIAN_FRONTEND=noninteractive` is set for the one command, not as an image `ENV`.
 * - dnf: `--setopt=install_weak_deps=False` (accepted by dnf 4 and dnf5 alike), then `clean all`.
 * - microdnf: its own option parser takes only `0`/`1` for `install_weak_deps` and has `--nodocs`;
 *   `-y` is required by the microdnf of UBI 9 (older ones accept and ignore it); its cache lives
 *   in /var/cache/yum, which `clean all` empties.
 * - yum: `clean all` keeps the metadata directory, so /var/cache/yum is removed as well.
 * - zypper: `--non-interactive` is a global option (before the command); `--no-recommends` is
 *   the install option; `clean --all` drops metadata and packages.
 */
export function installCommand(manager: PackageManager, packages: readonly string[]): string {
  const names = packages.map(shellQuote).join(" ");
  switch (manager) {
    case "apk":
      return `apk add --no-cache ${names}`;
    case "apt":
      return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names} && rm -rf /var/lib/apt/lists/*`;
    case "dnf":
      return `dnf install -y --setopt=install_weak_deps=False ${names} && dnf clean all`;
    case "microdnf":
      return `microdnf install -y --nodocs --setopt=install_weak_deps=0 ${names} && microdnf clean all`;
    case "yum":
      return `yum install -y ${names} && yum clean all && rm -rf /var/cache/yum`;
    case "zypper":
      return `zypper --non-interactive install --no-recommends ${names} && zypper clean --all`;
  }
}

function isFamily(os: OsRelease | undefined, id: string): boolean {
  return os !== undefined && (os.id === id || os.idLike.includes(id));
}

/** EL9+ (RHEL and its rebuilds, by `VERSION_ID` major) and Amazon Linux 2023 default to nft. */
function nftByDefault(os: OsRelease | undefined): boolean {
  if (os === undefined) return false;
  if (os.id === "amzn") return atLeast(os.versionId, 2023, 0);
  return atLeast(os.versionId, 9, 0);
}

/** `major.minor[...]` compared with a bound; false when the version cannot be read. */
function atLeast(version: string | undefined, major: number, minor: number): boolean {
  const match = /^(\d+)(?:\.(\d+))?/.exec(version ?? "");
  if (match === null) return false;
  const actualMajor = Number(match[1]);
  const actualMinor = Number(match[2] ?? "0");
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
