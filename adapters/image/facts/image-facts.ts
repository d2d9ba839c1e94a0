/**
 * What an image holds, as the probe found it: the one description inspection, planning and
 * verification all work from. Everything here is read from the image, never assumed from its name.
 */

/** The package managers preparation knows how to drive, by the command that runs them. */
export type PackageManager = "apk" | "apt" | "dnf" | "microdnf" | "yum" | "zypper";

/** The fields of `/etc/os-release` that matter here (`ID`, `ID_LIKE`, `VERSION_ID`, `PRETTY_NAME`). */
export interface OsRelease {
  id: string;
  idLike: readonly string[];
  versionId: string;
  prettyName: string;
}

/** A program found in the image. `busybox` when it is a busybox applet (a link to busybox). */
export interface FoundTool {
  /** Absolute path where it was found (searching /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin). */
  path: string;
  busybox: boolean;
}

/**
 * `ip`: iproute2's (which can build network namespaces), busybox's applet (which cannot), or one
 * that answered neither way.
 */
export interface FoundIp extends FoundTool {
  kind: "iproute2" | "busybox" | "unknown";
  /** What `ip -V` printed (first line), for the report. */
  version: string;
}

/** A line of `/etc/passwd`. */
export interface UserAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A line of `/etc/group`. */
export interface GroupAccount {
  name: string;
  gid: number;
  members: readonly string[];
}

/** The tools an image has for adding a user and a group. */
export interface AccountTools {
  useradd?: FoundTool;
  groupadd?: FoundTool;
  /** Debian's `adduser` (a script with long options) or busybox's applet (short options). */
  adduser?: FoundTool & { flavour: "debian" | "busybox" | "other" };
  addgroup?: FoundTool & { flavour: "debian" | "busybox" | "other" };
}

export interface ImageFacts {
  /** The reference inspected, as given. */
  ref: string;
  /** The image id the engine reported (`sha256:...`). */
  id: string;
  /** Whether the image has `/bin/sh`; without it nothing below could be read (all empty). */
  shell: boolean;
  os: OsRelease | undefined;
  /** The first of apk, apt-get, dnf, microdnf, yum, zypper found. */
  packageManager: PackageManager | undefined;
  ip: FoundIp | undefined;
  nsenter: FoundTool | undefined;
  iptables: FoundTool | undefined;
  /** nftables' `nft`, which serves the supervisor's bypass detection as iptables does. */
  nft?: FoundTool | undefined;
  bash: FoundTool | undefined;
  accountTools: AccountTools;
  users: readonly UserAccount[];
  groups: readonly GroupAccount[];
  /** The image's config, from the engine's inspect (not from running it). */
  config: {
    /** `USER` as the image sets it ("" = root). */
    user: string;
    entrypoint: readonly string[];
    cmd: readonly string[];
    workdir: string;
    env: readonly string[];
    labels: Readonly<Record<string, string>>;
  };
  /** PATH from the image's env (the engine's default PATH when it sets none), split at ':'. */
  path: readonly string[];
}
