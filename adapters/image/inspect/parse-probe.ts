import { parseGroup, parsePasswd } from "../facts/accounts.js";
import type { AccountTools, FoundIp, FoundTool, ImageFacts, PackageManager } from "../facts/image-facts.js";
import { parseOsRelease } from "../facts/os-release.js";
import { SUPERVISOR_IP_PATHS } from "../facts/supervisor-needs.js";
import { PROBE_FORMAT_VERSION, type ProbedTool } from "./probe-script.js";

/** What the probe reads from inside the image: the part of ImageFacts not taken from the engine's inspect. */
export type ProbedFacts = Pick<
  ImageFacts,
  | "os"
  | "packageManager"
  | "ip"
  | "nsenter"
  | "iptables"
  | "nft"
  | "bash"
  | "accountTools"
  | "users"
  | "groups"
>;

/** The gateway's default sandbox command runs this very path. */
export const DEFAULT_COMMAND_BASH = "/bin/bash";

/** Package managers by the command the probe looks for, in the order the first found wins. */
const PACKAGE_MANAGERS: readonly [ProbedTool, PackageManager][] = [
  ["apk", "apk"],
  ["apt-get", "apt"],
  ["dnf", "dnf"],
  ["microdnf", "microdnf"],
  ["yum", "yum"],
  ["zypper", "zypper"],
];

interface ToolLocation {
  path: string;
  busybox: boolean;
  /** `readlink -f` of the path; "" when the image has no readlink. */
  resolved: string;
}

interface ProbeRecords {
  header: string | undefined;
  ended: boolean;
  /** The files put back together from their line records (see `fileLine`). */
  osRelease: string;
  passwd: string;
  group: string;
  tools: Map<string, ToolLocation[]>;
  ipVersions: Map<string, string>;
  shebangs: Map<string, string>;
}

/**
 * Why the probe's output cannot be trusted (no header of this format version, no `end` record:
 * something else printed it, or it was cut short), or undefined when it is whole.
 */
export function probeOutputProblem(output: string): string | undefined {
  const records = readRecords(output);
  if (records.header === undefined) return "it did not start with the probe's header";
  if (records.header !== PROBE_FORMAT_VERSION) {
    return `it is in format ${JSON.stringify(records.header)}, not ${PROBE_FORMAT_VERSION}`;
  }
  if (!records.ended) return "it was cut short (no end record)";
  return undefined;
}

/**
 * Turns the probe's output (see probe-script.ts) into facts. Lines it does not know are ignored;
 * check `probeOutputProblem` first to know the output is whole.
 */
export function parseProbeOutput(output: string): ProbedFacts {
  const records = readRecords(output);
  const first = (name: ProbedTool) => records.tools.get(name)?.[0];
  const packageManager = PACKAGE_MANAGERS.find(([tool]) => first(tool) !== undefined)?.[1];
  return {
    os: parseOsRelease(records.osRelease),
    packageManager,
    ip: foundIp(records),
    nsenter: found(first("nsenter")),
    iptables: found(first("iptables")),
    nft: found(first("nft")),
    bash: found(preferred(records.tools.get("bash"), [DEFAULT_COMMAND_BASH])),
    accountTools: accountTools(records),
    users: parsePasswd(records.passwd),
    groups: parseGroup(records.group),
  };
}

function readRecords(output: string): ProbeRecords {
  const records: ProbeRecords = {
    header: undefined,
    ended: false,
    osRelease: "",
    passwd: "",
    group: "",
    tools: new Map(),
    ipVersions: new Map(),
    shebangs: new Map(),
  };
  const lines = output.split(/\r?\n/);
  // Whatever precedes the header (an entrypoint's banner, say) is not the probe's.
  const start = lines.findIndex((line) => line.startsWith("openshell-probe\t"));
  if (start === -1) return records;
  records.header = (lines[start] as string).slice("openshell-probe\t".length);
  for (const line of lines.slice(start + 1)) {
    if (line === "end") {
      records.ended = true;
      break;
    }
    const [tag = "", ...fields] = line.split("\t");
    const rest = (count: number) => [...fields.slice(0, count - 1), fields.slice(count - 1).join("\t")];
    switch (tag) {
      case "os-release":
        records.osRelease += fileLine(fields);
        break;
      case "passwd":
        records.passwd += fileLine(fields);
        break;
      case "group":
        records.group += fileLine(fields);
        break;
      case "tool": {
        const [name = "", path = "", busybox = "", resolved = ""] = rest(4);
        if (name === "" || !path.startsWith("/")) break;
        const list = records.tools.get(name) ?? [];
        list.push({ path, busybox: busybox === "1", resolved });
        records.tools.set(name, list);
        break;
      }
      case "ip-version": {
        const [path = "", version = ""] = rest(2);
        records.ipVersions.set(path, version.trim());
        break;
      }
      case "shebang": {
        const [, path = "", shebang = ""] = rest(3);
        records.shebangs.set(path, shebang.trim());
        break;
      }
      default:
        break;
    }
  }
  return records;
}

/**
 * A file's line as it was in the file, its newline included when it had one: the fields of a
 * `passwd`, `os-release` or `group` record are the line (tabs and all) then its end, `lf` or `eof`.
 * A record without a known end is not the probe's, and adds nothing.
 */
function fileLine(fields: readonly string[]): string {
  const end = fields.at(-1);
  if (fields.length < 2 || (end !== "lf" && end !== "eof")) return "";
  return fields.slice(0, -1).join("\t") + (end === "lf" ? "\n" : "");
}

function found(location: ToolLocation | undefined): FoundTool | undefined {
  return location === undefined ? undefined : { path: location.path, busybox: location.busybox };
}

/** The first location among `paths` (in their order), else the first found anywhere. */
function preferred(
  locations: readonly ToolLocation[] | undefined,
  paths: readonly string[],
): ToolLocation | undefined {
  for (const path of paths) {
    const match = locations?.find((location) => location.path === path);
    if (match !== undefined) return match;
  }
  return locations?.[0];
}

/**
 * The `ip` the supervisor would run, and whose it is: busybox's applet when it is a link to busybox
 * or says so, iproute2's when `ip -V` names iproute2 ("ip utility, iproute2-6.1.0").
 */
function foundIp(records: ProbeRecords): FoundIp | undefined {
  const location = preferred(records.tools.get("ip"), SUPERVISOR_IP_PATHS);
  if (location === undefined) return undefined;
  const version = records.ipVersions.get(location.path) ?? "";
  let kind: FoundIp["kind"] = "unknown";
  if (location.busybox || /^busybox\b/i.test(version)) kind = "busybox";
  else if (/iproute2|^ip utility/i.test(version)) kind = "iproute2";
  return { path: location.path, busybox: location.busybox, kind, version };
}

/**
 * adduser and addgroup take different options by flavour: busybox's applet, Debian's Perl script,
 * or something else (shadow's `useradd` under another name on some distros).
 */
function accountTools(records: ProbeRecords): AccountTools {
  const tools: AccountTools = {};
  const useradd = found(records.tools.get("useradd")?.[0]);
  const groupadd = found(records.tools.get("groupadd")?.[0]);
  if (useradd !== undefined) tools.useradd = useradd;
  if (groupadd !== undefined) tools.groupadd = groupadd;
  for (const name of ["adduser", "addgroup"] as const) {
    const location = records.tools.get(name)?.[0];
    if (location === undefined) continue;
    const shebang = records.shebangs.get(location.path) ?? "";
    const flavour = location.busybox ? "busybox" : /\bperl\b/.test(shebang) ? "debian" : "other";
    tools[name] = { path: location.path, busybox: location.busybox, flavour };
  }
  return tools;
}
