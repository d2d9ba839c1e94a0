import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseGroup, parsePasswd } from "../../../../../adapters/image/facts/accounts.js";
import type {
  AccountTools,
  FoundIp,
  FoundTool,
  ImageFacts,
  PackageManager,
} from "../../../../../adapters/image/facts/image-facts.js";
import { parseOsRelease } from "../../../../../adapters/image/facts/os-release.js";

/** test/fixtures/images/distros: one folder per image (README.md there says which are recorded). */
export const DISTROS_DIR = fileURLToPath(new URL("../../../../fixtures/images/distros/", import.meta.url));

/** What Docker and Podman give a container whose image sets no PATH. */
const ENGINE_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The fixture folders, each an image whose facts {@link distroFacts} builds. */
export const DISTROS = [
  "debian-12",
  "ubuntu-24.04",
  "alpine-3.16",
  "alpine-3.20",
  "wolfi",
  "fedora-40",
  "ubi9-minimal",
  "amazonlinux-2",
  "opensuse-leap-15.6",
  "busybox",
  "busybox-sandbox",
] as const;
export type Distro = (typeof DISTROS)[number];

interface ToolsFile {
  source: "recorded" | "constructed";
  image: string;
  shell: boolean;
  packageManager?: PackageManager;
  config: { user: string; env: string[]; entrypoint: string[]; cmd: string[]; workdir: string };
  tools: {
    ip?: FoundIp;
    nsenter?: FoundTool;
    iptables?: FoundTool;
    bash?: FoundTool;
  } & AccountTools;
}

/**
 * ImageFacts for a fixture image, assembled the way inspection assembles them: os-release, passwd
 * and group through the SDK's own parsers, tools and config from tools.json. `patch` overrides
 * fields (a variant of a real image: the same image with its USER changed, say).
 */
export function distroFacts(name: Distro, patch: Partial<ImageFacts> = {}): ImageFacts {
  const dir = join(DISTROS_DIR, name);
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : "");
  const file = JSON.parse(read("tools.json")) as ToolsFile;
  const { ip, nsenter, iptables, bash, useradd, groupadd, adduser, addgroup } = file.tools;
  const pathEntry = file.config.env.find((entry) => entry.startsWith("PATH="));
  const accountTools: AccountTools = {
    ...(useradd === undefined ? {} : { useradd }),
    ...(groupadd === undefined ? {} : { groupadd }),
    ...(adduser === undefined ? {} : { adduser }),
    ...(addgroup === undefined ? {} : { addgroup }),
  };
  return {
    ref: file.image,
    id: `sha256:${name.replace(/[^a-z0-9]/g, "").padEnd(64, "0")}`,
    shell: file.shell,
    os: parseOsRelease(read("os-release")),
    packageManager: file.packageManager,
    ip,
    nsenter,
    iptables,
    bash,
    accountTools,
    users: parsePasswd(read("passwd")),
    groups: parseGroup(read("group")),
    config: { ...file.config, labels: {} },
    path: (pathEntry === undefined ? ENGINE_DEFAULT_PATH : pathEntry.slice("PATH=".length)).split(":"),
    ...patch,
  };
}
