import type Docker from "dockerode";
import { lastValue, option, parseArgs } from "./argv.js";
import { versionBanner } from "./cli-version-facts.js";
import {
  CliFailure,
  dockerStatus,
  type EmulatorContext,
  type Handler,
  normalizeReference,
} from "./emulator-context.js";
import { engineUnreachable } from "./emulator-runner.js";
import { imageChanges } from "./image-build-commands.js";
import { swiftDate, swiftJson } from "./swift-json.js";

/*
 * `container image inspect|list`, `system status`, `system version` and `--version`. Images are
 * Docker's own (the emulator neither pulls nor builds: no registry is reachable here). Shapes:
 * image-inspect-1.x.json / image-inspect.json, system-status-running.json, version.txt.
 */

const INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";

/** An image with its history, oldest first, as the OCI image config records it. */
interface LocalImage {
  image: Docker.ImageInspectInfo;
  history: Record<string, unknown>[];
}

function variant({ image, history }: LocalImage, modern: boolean): Record<string, unknown> {
  const config = image.Config as unknown as Record<string, unknown> | undefined;
  const pick = (key: string) => (config?.[key] === "" ? undefined : (config?.[key] ?? undefined));
  return {
    config: {
      architecture: image.Architecture,
      config: {
        Cmd: pick("Cmd"),
        Entrypoint: pick("Entrypoint"),
        Env: pick("Env"),
        Labels: config?.Labels ?? null,
        User: pick("User"),
        WorkingDir: pick("WorkingDir"),
      },
      created: image.Created,
      history,
      os: image.Os,
      rootfs: { diff_ids: image.RootFS?.Layers ?? [], type: "layers" },
    },
    digest: modern ? image.Id : undefined,
    platform: { architecture: image.Architecture, os: image.Os },
    size: image.Size,
  };
}

/** One image as `image inspect` prints it: ImageResource from 1.0.0, ImageDetail before. */
function imageRecord(context: EmulatorContext, name: string, local: LocalImage) {
  const { image } = local;
  const modern = context.facts.modern;
  const descriptor = { digest: image.Id, mediaType: INDEX_MEDIA_TYPE, size: 314 };
  if (modern) {
    return {
      configuration: { creationDate: swiftDate(new Date(image.Created), true), descriptor, name },
      id: image.Id.replace(/^sha256:/, ""),
      variants: [variant(local, true)],
    };
  }
  return { index: descriptor, name, variants: [variant(local, false)] };
}

/** Docker's history entry as an OCI history entry. */
interface DockerHistory {
  Created: number;
  CreatedBy?: string;
  Comment?: string;
  Size?: number;
}

async function localImage(context: EmulatorContext, ref: string): Promise<LocalImage> {
  const handle = context.docker.getImage(ref);
  const image = await handle.inspect();
  const entries = ((await handle.history()) as DockerHistory[]).reverse();
  const history = entries.map((entry) => ({
    comment: entry.Comment === "" ? undefined : entry.Comment,
    created: new Date(entry.Created * 1000).toISOString(),
    created_by: entry.CreatedBy === "" ? undefined : entry.CreatedBy,
    empty_layer: entry.Size === 0 ? true : undefined,
  }));
  return { image, history };
}

async function inspectImage(context: EmulatorContext, ref: string): Promise<LocalImage> {
  try {
    return await localImage(context, normalizeReference(ref));
  } catch (error) {
    if (dockerStatus(error) === 404) throw new CliFailure(`Error: notFound: "image not found: ${ref}"`);
    throw error;
  }
}

const imageCommands: Handler = async (context, invocation) => {
  const verb = invocation.args[1];
  const rest = invocation.args.slice(2);
  const modern = context.facts.modern;
  if (verb === "inspect") {
    const parsed = parseArgs(rest, {
      usage: "container image inspect <images> ...",
      options: [],
      minPositionals: 1,
    });
    const records = [];
    for (const ref of parsed.positionals) {
      records.push(imageRecord(context, normalizeReference(ref), await inspectImage(context, ref)));
    }
    invocation.stdout.write(`${swiftJson(records, { pretty: modern, sortKeys: modern })}\n`);
    return 0;
  }
  if (verb === "list" || verb === "ls") {
    const parsed = parseArgs(rest, {
      usage: "container image list [<options>]",
      options: [option("format", "--format")],
      minPositionals: 0,
      maxPositionals: 0,
    });
    if (lastValue(parsed, "format") !== "json")
      throw new CliFailure("Error: emulator: only --format json is emulated");
    const records = [];
    for (const summary of await context.docker.listImages()) {
      for (const tag of summary.RepoTags ?? []) {
        if (tag === "<none>:<none>") continue;
        const local = await localImage(context, summary.Id);
        const { image } = local;
        const name = normalizeReference(tag);
        records.push(
          modern
            ? imageRecord(context, name, local)
            : {
                descriptor: { digest: image.Id, mediaType: INDEX_MEDIA_TYPE, size: 314 },
                fullSize: String(image.Size),
                reference: name,
              },
        );
      }
    }
    invocation.stdout.write(`${swiftJson(records, { pretty: false, sortKeys: modern })}\n`);
    return 0;
  }
  const change = imageChanges[verb ?? ""];
  if (change !== undefined) return change(context, invocation, rest);
  throw new CliFailure(`Error: Unknown subcommand 'image ${verb ?? ""}'`, 64);
};

/** `system status --format json` of a running service (0.10.0 on), `system version --format json`. */
const systemCommands: Handler = async (context, invocation) => {
  const verb = invocation.args[1];
  const parsed = parseArgs(invocation.args.slice(2), {
    usage: `container system ${verb ?? ""} [<options>]`,
    options: [option("format", "--format")],
    minPositionals: 0,
    maxPositionals: 0,
  });
  if (lastValue(parsed, "format") !== "json")
    throw new CliFailure("Error: emulator: only --format json is emulated");
  const { facts } = context;
  if (verb === "status") {
    const up = await context.docker.ping().then(
      () => true,
      (error: unknown) => {
        if (engineUnreachable(error)) return false;
        throw error;
      },
    );
    if (!up) {
      // SystemStatus.swift@1.1.0: the same keys, empty, and exit 1 (fixture system-status-not-running.json).
      const down = {
        apiServerAppName: "",
        apiServerBuild: "",
        apiServerCommit: "",
        apiServerVersion: "",
        appRoot: "",
        installRoot: "",
        status: "not running",
      };
      invocation.stdout.write(`${swiftJson(down, { pretty: true, sortKeys: true })}\n`);
      return 1;
    }
    const status = {
      apiServerAppName: "container-apiserver",
      apiServerBuild: "release",
      apiServerCommit: facts.commit,
      apiServerVersion: versionBanner(facts, "container-apiserver"),
      appRoot: "/Users/dev/Library/Application Support/com.apple.container/",
      installRoot: "/usr/local/",
      status: "running",
    };
    invocation.stdout.write(`${swiftJson(status, { pretty: true, sortKeys: true })}\n`);
    return 0;
  }
  if (verb === "version") {
    const versions = [
      { appName: "container", buildType: "release", commit: facts.commit, version: facts.version },
      {
        appName: "container-apiserver",
        buildType: "release",
        commit: facts.commit,
        version: versionBanner(facts, "container-apiserver"),
      },
    ];
    invocation.stdout.write(`${swiftJson(versions, { pretty: false, sortKeys: true })}\n`);
    return 0;
  }
  throw new CliFailure(`Error: Unknown subcommand 'system ${verb ?? ""}'`, 64);
};

const versionCommand: Handler = async (context, invocation) => {
  if (invocation.args.length !== 1) throw new CliFailure(`Error: Unknown option '${invocation.args[1]}'`, 64);
  invocation.stdout.write(`${versionBanner(context.facts)}\n`);
  return 0;
};

export const imageSystemCommands: Record<string, Handler> = {
  image: imageCommands,
  system: systemCommands,
  "--version": versionCommand,
};
