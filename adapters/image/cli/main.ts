#!/usr/bin/env node
import { readFileSync } from "node:fs";
import {
  CanceledError,
  type ContainerRuntime,
  createRuntime,
  OpenShellError,
  parseRuntimeKind,
} from "openshell/runtime";
import { inspectImage } from "../inspect/inspect-image.js";
import { loadImage } from "../load/load-image.js";
import type { LoadedImage } from "../load/load-options.js";
import { prepareImage } from "../prepare/prepare-image.js";
import type { ImageProgressEvent } from "../progress.js";
import { type CliCommand, parseCliArgs, USAGE, UsageError } from "./cli-args.js";
import { formatInspection, formatPrepared, formatProgress } from "./format-report.js";

/** Exit statuses: what a build script branches on. */
const EXIT = { ok: 0, error: 1, usage: 2, notReady: 3, canceled: 130 } as const;

async function openRuntime(kind: string | undefined): Promise<ContainerRuntime> {
  // The reaper removes this process's throwaway containers (inspection probes) even if it is killed.
  return createRuntime({
    ...(kind === undefined ? {} : { runtime: parseRuntimeKind(kind, "--runtime") }),
    reapOnExit: true,
  });
}

async function run(command: CliCommand, signal: AbortSignal): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  if (command.command === "help") {
    out(USAGE);
    return EXIT.ok;
  }
  if (command.command === "version") {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    out(pkg.version);
    return EXIT.ok;
  }
  const progress = (event: ImageProgressEvent) => {
    if (!("quiet" in command && command.quiet)) process.stderr.write(`${formatProgress(event)}\n`);
  };
  const runtimes: ContainerRuntime[] = [];
  try {
    if (command.command === "inspect") {
      const runtime = await openRuntime(command.runtime);
      runtimes.push(runtime);
      const report = await inspectImage(runtime, command.image, { signal });
      out(command.json ? JSON.stringify(report, null, 2) : formatInspection(report));
      return report.ready ? EXIT.ok : EXIT.notReady;
    }
    if (command.command === "prepare") {
      const runtime = await openRuntime(command.runtime);
      runtimes.push(runtime);
      const user = {
        ...(command.uid === undefined ? {} : { uid: command.uid }),
        ...(command.gid === undefined ? {} : { gid: command.gid }),
      };
      const result = await prepareImage(runtime, {
        image: command.image,
        tag: command.tag,
        iptables: command.iptables,
        ...(Object.keys(user).length === 0 ? {} : { user }),
        signal,
        onProgress: progress,
      });
      out(command.json ? JSON.stringify(result, null, 2) : formatPrepared(result));
      return EXIT.ok;
    }
    const source = await openRuntime(command.from);
    runtimes.push(source);
    let into: Parameters<typeof loadImage>[1]["into"];
    if (command.container !== undefined) {
      const runtime =
        command.runtime === undefined || command.runtime === command.from
          ? source
          : await openRuntime(command.runtime);
      if (runtime !== source) runtimes.push(runtime);
      into = {
        runtime,
        container: command.container,
        ...(command.namespace === undefined ? {} : { namespace: command.namespace }),
        ...(command.address === undefined ? {} : { address: command.address }),
      };
    } else {
      const target = await openRuntime(command.into);
      runtimes.push(target);
      into = target;
    }
    const result = await loadImage(source, { image: command.image, into, signal, onProgress: progress });
    out(command.json ? JSON.stringify(result, null, 2) : describeLoad(result));
    return EXIT.ok;
  } finally {
    await Promise.all(runtimes.map((runtime) => runtime.close().catch(() => {})));
  }
}

function describeLoad(result: LoadedImage): string {
  if (result.alreadyPresent)
    return `${result.image} (${result.id}) was already in ${result.into}: nothing moved`;
  return `${result.image} (${result.id}) loaded into ${result.into}: ${(result.bytes / 1024 / 1024).toFixed(1)} MiB moved, digest checked`;
}

async function main(): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new CanceledError("interrupted (Ctrl-C)"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let command: CliCommand;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`openshell-image: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    process.exitCode = await run(command, controller.signal);
  } catch (error) {
    if (error instanceof CanceledError || controller.signal.aborted) {
      process.stderr.write("openshell-image: canceled; nothing was left behind\n");
      process.exitCode = EXIT.canceled;
    } else if (error instanceof OpenShellError) {
      process.stderr.write(`openshell-image: ${error.toString()}\n`);
      process.exitCode = EXIT.error;
    } else {
      throw error;
    }
  }
}

await main();
