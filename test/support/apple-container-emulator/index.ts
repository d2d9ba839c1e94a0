import { engineClient } from "../../../src/runtime/drivers/engine/engine-client.js";
import type { EngineEndpoint } from "../../../src/runtime/engine-endpoint.js";
import type { CommandRunner } from "../../../src/runtime/process/command-runner.js";
import { dockerTestEndpoint } from "../test-engines.js";
import { type EmulatedVersion, versionFacts } from "./cli-version-facts.js";
import { containerCommands } from "./container-commands.js";
import { EmulatorContext } from "./emulator-context.js";
import { EmulatorRunner } from "./emulator-runner.js";
import { execCommand } from "./exec-command.js";
import { buildCommand } from "./image-build-commands.js";
import { imageSystemCommands } from "./image-system-commands.js";
import { logsCommand } from "./log-commands.js";
import { resourceCommands } from "./network-commands.js";

export type { EmulatedVersion } from "./cli-version-facts.js";

export interface EmulatorOptions {
  /** The CLI release to answer as: its `--version`, its JSON shapes. */
  version: EmulatedVersion;
  /** The Docker engine that does the work. Default: the test Docker engine (unix:///var/run/docker.sock). */
  docker?: EngineEndpoint;
}

export interface EmulatedAppleContainer {
  /** Give it to `AppleContainerRuntime.connect({ runner, darwinRelease: "25.0.0" })`. */
  runner: CommandRunner;
  /** The version answered as. */
  version: EmulatedVersion;
  /** The Docker label value (of `openshell-test.emulator.instance`) on everything this emulator made. */
  instance: string;
  /**
   * Kills commands still running and removes every container, network and volume this emulator made,
   * and the image names it pulled, tagged or built where Docker had none. Rejects when the engine
   * cannot be reached (what it made cannot be checked then).
   */
  close(): Promise<void>;
}

/**
 * Apple's `container` CLI emulated over a real Docker engine, for tests on machines without a Mac:
 * each argv the Apple driver runs is carried out on Docker and answered as that CLI release would
 * (its stdout JSON shapes, its stderr texts and exit codes). Each emulator is its own "Mac": it
 * sees only the containers, networks and volumes it made, which carry the label
 * `openshell-test.emulator=apple-container` (and its instance), and close() removes them.
 */
export async function emulatedAppleContainer(options: EmulatorOptions): Promise<EmulatedAppleContainer> {
  const docker = await engineClient(options.docker ?? dockerTestEndpoint);
  const context = new EmulatorContext(docker, versionFacts(options.version));
  const runner = new EmulatorRunner(context, {
    ...containerCommands,
    ...resourceCommands,
    ...imageSystemCommands,
    exec: execCommand,
    build: buildCommand,
    logs: logsCommand,
  });
  return {
    runner,
    version: options.version,
    instance: context.instance,
    close: async () => {
      runner.killAll();
      const filters = { label: [context.instanceFilter] };
      const containers = await docker.listContainers({ all: true, filters });
      await Promise.all(
        containers.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => {}),
        ),
      );
      const networks = await docker.listNetworks({ filters });
      await Promise.all(
        networks.map((n) =>
          docker
            .getNetwork(n.Id)
            .remove()
            .catch(() => {}),
        ),
      );
      const { Volumes } = await docker.listVolumes({ filters });
      await Promise.all(
        (Volumes ?? []).map((v) =>
          docker
            .getVolume(v.Name)
            .remove()
            .catch(() => {}),
        ),
      );
    },
  };
}
