import type { NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec } from "../../network-types.js";
import { checkLabels, checkName } from "./cli-args.js";
import type { CliCallOptions, CliContext } from "./cli-context.js";
import { parseNetworks, parseVolumes } from "./resource-json.js";

function labelArgs(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
}

/**
 * `container network create [--internal] --label K=V ... NAME`, then the network as `network list`
 * reports it, with its subnet and gateway; `labels` already hold the session's. The caller checks
 * that the CLI has `--internal` (0.9.0 on, macOS 26).
 */
export async function createCliNetwork(
  cli: CliContext,
  spec: NetworkSpec,
  labels: Readonly<Record<string, string>>,
  options: CliCallOptions | undefined,
): Promise<NetworkInfo> {
  checkName(spec.name, "name");
  checkLabels(labels);
  const internal = spec.internal === true;
  const args = ["network", "create", ...(internal ? ["--internal"] : []), ...labelArgs(labels), spec.name];
  const { stdout } = await cli.run(args, options);
  const made = { id: lastLine(stdout) ?? spec.name, name: spec.name, internal, labels };
  // `create` prints only the name: the CLI assigns the subnet and gateway as it makes the network,
  // and says them in its listing.
  try {
    return (await listCliNetworks(cli, options)).find((n) => n.name === spec.name) ?? made;
  } catch (error) {
    // The caller hears of a failure, so no network of theirs may outlive it.
    await cli.run(["network", "delete", spec.name]).catch(() => undefined);
    throw error;
  }
}

export async function listCliNetworks(
  cli: CliContext,
  options: CliCallOptions | undefined,
): Promise<NetworkInfo[]> {
  const args = ["network", "list", "--format", "json"];
  const { stdout } = await cli.run(args, options);
  return parseNetworks(stdout, cli.describe(args));
}

/** `container volume create --label K=V ... NAME`; `labels` already hold the session's. */
export async function createCliVolume(
  cli: CliContext,
  spec: VolumeSpec,
  labels: Readonly<Record<string, string>>,
  options: CliCallOptions | undefined,
): Promise<VolumeInfo> {
  checkName(spec.name, "name");
  checkLabels(labels);
  await cli.run(["volume", "create", ...labelArgs(labels), spec.name], options);
  return { name: spec.name, labels };
}

export async function listCliVolumes(
  cli: CliContext,
  options: CliCallOptions | undefined,
): Promise<VolumeInfo[]> {
  const args = ["volume", "list", "--format", "json"];
  const { stdout } = await cli.run(args, options);
  return parseVolumes(stdout, cli.describe(args));
}

/** The last non-empty line a command printed (the id `create` commands print). */
export function lastLine(text: string): string | undefined {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .at(-1);
}
