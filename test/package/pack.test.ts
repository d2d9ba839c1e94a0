/**
 * Packaging test: what `npm publish` would ship must work for a real consumer. Builds, packs the
 * tarball, installs it into a fresh project outside this repository and checks ESM and CJS loading,
 * TypeScript resolution under `nodenext` for both module kinds, publint and attw.
 *
 * It needs the npm registry for the package's own dependencies (the consumer installs them).
 */

import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testImages } from "../support/test-engines.js";
import {
  containerGone,
  docker,
  followProbeSessions,
  interruptWhen,
  leftStagingImages,
  runToEnd,
  stagingImages,
} from "./cli-support.js";
import { unexportedDeclarations } from "./unexported-declarations.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const bin = (name: string): string => join(repoRoot, "node_modules", ".bin", name);
const tscJs = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** The consumer must not inherit `npm run`'s npm_* variables (prefix, package name, lifecycle). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_")) env[key] = value;
  }
  env.NO_COLOR = "1";
  env.FORCE_COLOR = "0";
  return env;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command and fails with its full output, so a CI log shows why without a rerun. */
function run(file: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `command failed: ${file} ${args.join(" ")} (in ${cwd})\n${error.message}\n` +
                `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
            ),
          );
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}

interface PackEntry {
  filename: string;
  files: { path: string }[];
}

let workDir = "";
let tarball = "";
let consumerDir = "";
let packedFiles: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "openshell-pack-"));
  // Packed from an unbuilt copy of the committed files, as `npm pack` on a fresh clone would be:
  // the package's own prepack must build dist/ (node_modules is linked, not installed again).
  const clone = join(workDir, "clone");
  await copyTrackedFiles(repoRoot, clone);
  await symlink(join(repoRoot, "node_modules"), join(clone, "node_modules"), "dir");

  const packed = await run("npm", ["pack", "--json", "--pack-destination", workDir], clone);
  // npm may print lifecycle noise before the JSON array; parse from the first "[".
  const entries = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as PackEntry[];
  const entry = entries[0];
  if (!entry) throw new Error(`npm pack printed no entry:\n${packed.stdout}`);
  tarball = join(workDir, entry.filename);
  packedFiles = entry.files.map((f) => f.path);

  consumerDir = join(workDir, "consumer");
  await mkdir(consumerDir);
  await writeFile(
    join(consumerDir, "package.json"),
    `${JSON.stringify({ name: "openshell-consumer", version: "0.0.0", private: true }, null, 2)}\n`,
  );
  await run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball], consumerDir);
});

/** Copies what git tracks (and what is added but not yet committed), never dist/ or node_modules. */
async function copyTrackedFiles(from: string, to: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], from);
  for (const path of stdout.split("\0").filter((p) => p !== "" && !p.startsWith("dist/"))) {
    await mkdir(dirname(join(to, path)), { recursive: true });
    await copyFile(join(from, path), join(to, path)).catch((error: NodeJS.ErrnoException) => {
      // A tracked file deleted in the work tree is not part of what would be packed.
      if (error.code !== "ENOENT") throw error;
    });
  }
}

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("npm package", () => {
  it("ships the built entry points and README, and no tests", () => {
    for (const path of [
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.d.cts",
      "dist/raw.js",
      "dist/raw.cjs",
      "dist/raw.d.ts",
      "dist/raw.d.cts",
      "dist/runtime.js",
      "dist/runtime.cjs",
      "dist/runtime.d.ts",
      "dist/runtime.d.cts",
      "src/index.ts",
      "src/raw.ts",
    ]) {
      expect(packedFiles, `tarball should contain ${path}`).toContain(path);
    }
    expect(packedFiles.some((p) => p.startsWith("proto/") && p.endsWith(".proto"))).toBe(true);
    expect(packedFiles.filter((p) => p.startsWith("test/") || p.startsWith("node_modules/"))).toEqual([]);
  });

  it("loads as ESM with `import`", async () => {
    const script = [
      'import { OpenShell as Client, OpenShellError, NotFoundError } from "openshell";',
      'import { OpenShell, Inference, SandboxPhase } from "openshell/raw";',
      'import { createRuntime, DockerRuntime, CapabilityError } from "openshell/runtime";',
      "const err = new NotFoundError('x');",
      "console.log(JSON.stringify({",
      "  runtime: typeof createRuntime, docker: typeof DockerRuntime.connect,",
      "  capabilityIsBase: new CapabilityError('x', { runtime: 'docker', missing: [] }) instanceof OpenShellError,",
      "  client: typeof Client.connect,",
      "  base: typeof OpenShellError, isBase: err instanceof OpenShellError, code: err.code,",
      "  service: OpenShell.typeName, inference: Inference.typeName, ready: SandboxPhase.READY,",
      "}));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], consumerDir);
    expect(JSON.parse(stdout)).toEqual({
      runtime: "function",
      docker: "function",
      capabilityIsBase: true,
      client: "function",
      base: "function",
      isBase: true,
      code: "not_found",
      service: "openshell.v1.OpenShell",
      inference: "openshell.inference.v1.Inference",
      ready: 2,
    });
  });

  it("loads as CommonJS with `require`", async () => {
    const script = [
      'const root = require("openshell");',
      'const raw = require("openshell/raw");',
      'const runtime = require("openshell/runtime");',
      "const err = new root.NotFoundError('x');",
      "console.log(JSON.stringify({",
      "  runtime: typeof runtime.createRuntime, podman: typeof runtime.PodmanRuntime.connect,",
      "  client: typeof root.OpenShell.connect,",
      "  base: typeof root.OpenShellError, isBase: err instanceof root.OpenShellError, code: err.code,",
      "  service: raw.OpenShell.typeName, inference: raw.Inference.typeName, ready: raw.SandboxPhase.READY,",
      '  resolved: require.resolve("openshell").endsWith(".cjs"),',
      "}));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["-e", script], consumerDir);
    expect(JSON.parse(stdout)).toEqual({
      runtime: "function",
      podman: "function",
      client: "function",
      base: "function",
      isBase: true,
      code: "not_found",
      service: "openshell.v1.OpenShell",
      inference: "openshell.inference.v1.Inference",
      ready: 2,
      resolved: true,
    });
  });

  it("type-checks a consumer under nodenext, from both an ES module and a CommonJS module", async () => {
    // The same body from .mts (resolves the `import` typings) and .cts (the `require` typings).
    // `dom` is in lib because connect-es's typings name fetch's HeadersInit (README: TypeScript).
    // The @ts-expect-error lines fail the check if the typings degrade to `any`.
    const body = [
      'import { NotFoundError, OpenShellError, type OpenShellErrorCode } from "openshell";',
      'import { OpenShell as Client, type ExecResult, type SandboxInfo } from "openshell";',
      'import { OpenShell, SandboxPhase, type Sandbox, type SandboxSchema } from "openshell/raw";',
      "",
      "async function use(os: Client): Promise<[ExecResult, SandboxInfo[]]> {",
      '  const sb = await os.sandboxes.create({ name: "typed" });',
      '  return [await sb.exec(["true"]), await os.sandboxes.list()];',
      "}",
      "// @ts-expect-error exec takes an argv array, not a string",
      'async function misuse(os: Client) { (await os.sandboxes.create()).exec("true"); }',
      'const code: OpenShellErrorCode = "not_found";',
      'const err: OpenShellError = new NotFoundError("missing");',
      "const phase: SandboxPhase = SandboxPhase.READY;",
      'const kind: "unary" = OpenShell.method.getSandbox.methodKind;',
      'const meta: Sandbox["metadata"] = undefined;',
      "type S = typeof SandboxSchema;",
      "// @ts-expect-error OpenShellErrorCode is a closed union",
      'const bad: OpenShellErrorCode = "no_such_code";',
      "// @ts-expect-error getSandbox is unary, not a stream",
      'const wrong: "server_streaming" = OpenShell.method.getSandbox.methodKind;',
      "export const used: unknown[] = [code, err, phase, kind, meta, bad, wrong, use, misuse];",
      "export type { S };",
      // openshell/adapters/image: its functions take the runtime from openshell/runtime, its errors
      // are the SDK's classes.
      'import { createRuntime } from "openshell/runtime";',
      'import { ImageNotReadyError, inspectImage, loadImage, prepareImage } from "openshell/adapters/image";',
      'import type { ImageInspection, ImageProgressEvent, LoadedImage, PreparedImage } from "openshell/adapters/image";',
      "async function adapt(): Promise<[ImageInspection, PreparedImage, LoadedImage]> {",
      '  const docker = await createRuntime({ runtime: "docker" });',
      '  const podman = await createRuntime({ runtime: "podman" });',
      "  const onProgress = (event: ImageProgressEvent) => console.error(event.phase, event.bytes);",
      '  const report = await inspectImage(docker, "agent:1");',
      '  const prepared = await prepareImage(docker, { image: "agent:1", tag: "agent:1-openshell", onProgress });',
      "  return [report, prepared, await loadImage(docker, { image: prepared.image, into: podman })];",
      "}",
      'const notReady: OpenShellError = new ImageNotReadyError("x", { image: "a:1", requirements: ["iproute2"] });',
      "// @ts-expect-error requirements are the ImageRequirement names, not package names",
      'const notARequirement = new ImageNotReadyError("x", { image: "a:1", requirements: ["curl"] });',
      "// @ts-expect-error prepareImage needs the tag to give the prepared image",
      'const untagged = async () => prepareImage(await createRuntime(), { image: "agent:1" });',
      "// @ts-expect-error an inspection's gaps name requirements",
      'const gapName: ImageInspection["gaps"][number]["requirement"] = "bash";',
      "export const adapterUsed: unknown[] = [adapt, notReady, notARequirement, untagged, gapName];",
      "",
    ].join("\n");
    await writeFile(join(consumerDir, "consumer.mts"), body);
    await writeFile(join(consumerDir, "consumer.cts"), body);
    await run(
      process.execPath,
      [
        tscJs,
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--lib",
        "es2022,esnext.disposable,dom",
        "--strict",
        "--noEmit",
        "--typeRoots",
        join(repoRoot, "node_modules", "@types"),
        "--types",
        "node",
        "consumer.mts",
        "consumer.cts",
      ],
      consumerDir,
    );
  });

  it("loads openshell/adapters/a2a and openshell/adapters/agent-registry from ESM and CommonJS, with the SDK's own error classes", async () => {
    const body = [
      "console.log(JSON.stringify({",
      "  a2a: [typeof a2a.connectAgent, typeof a2a.textMessage, new a2a.AgentCardError('x', { problem: 'not_found', port: 8080, cardPath: '/c', status: 404 }) instanceof root.OpenShellError],",
      "  registry: [typeof registry.parseApplyInput, registry.sandboxNameFor({ metadata: { name: 'echo-agent', namespace: 'default', uid: 'u1' } }).length <= 19],",
      "}));",
    ];
    const esm = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        [
          'import * as root from "openshell";',
          'import * as a2a from "openshell/adapters/a2a";',
          'import * as registry from "openshell/adapters/agent-registry";',
          ...body,
        ].join("\n"),
      ],
      consumerDir,
    );
    const cjs = await run(
      process.execPath,
      [
        "-e",
        [
          'const root = require("openshell");',
          'const a2a = require("openshell/adapters/a2a");',
          'const registry = require("openshell/adapters/agent-registry");',
          ...body,
        ].join("\n"),
      ],
      consumerDir,
    );
    const expected = { a2a: ["function", "function", true], registry: ["function", true] };
    expect(JSON.parse(esm.stdout)).toEqual(expected);
    expect(JSON.parse(cjs.stdout)).toEqual(expected);
  });

  it("declares in its typings only what the entry points export: no internal types", () => {
    // An internal type named by a public signature shows in users' editors but cannot be imported;
    // @internal members are stripped from the build so the typings hold the public API alone.
    const dist = join(consumerDir, "node_modules", "openshell", "dist");
    for (const extension of [".d.ts", ".d.cts"]) {
      const entries = [
        "index",
        "raw",
        "runtime",
        "adapters/image",
        "adapters/a2a",
        "adapters/agent-registry",
      ].map((name) => join(dist, `${name}${extension}`));
      expect(unexportedDeclarations(dist, entries)).toEqual([]);
    }
  });

  it("drives the real Docker engine through openshell/runtime, whose reaper cleans up after a SIGKILL", async () => {
    // The built package, not the sources: the reaper's watcher program is cut from the bundled code.
    const socketPath = (process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(
      "unix://",
      "",
    );
    const image = process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? "openshell-test/busybox:1";
    const script = [
      'import { createRuntime } from "openshell/runtime";',
      `const endpoint = { kind: "unix", socketPath: ${JSON.stringify(socketPath)} };`,
      'const runtime = await createRuntime({ runtime: "docker", endpoint, reapOnExit: true });',
      `const { id } = await runtime.createContainer({ image: ${JSON.stringify(image)}, command: ["sleep", "300"] });`,
      "await runtime.startContainer(id);",
      "console.log(JSON.stringify({ id, session: runtime.sessionId }));",
      'process.kill(process.pid, "SIGKILL");',
    ].join("\n");
    const child = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((resolvePromise) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd: consumerDir, env: cleanEnv(), timeout: 60_000 },
        (error, stdout) =>
          resolvePromise({ stdout, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null }),
      );
    });
    expect(child.signal).toBe("SIGKILL");
    const { id } = JSON.parse(child.stdout.trim()) as { id: string };
    const inspect = () =>
      new Promise<number>((resolvePromise, reject) => {
        const req = httpRequest({ socketPath, path: `/containers/${id}/json` }, (res) => {
          res.resume();
          resolvePromise(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    const deadline = Date.now() + 10_000;
    let status = await inspect();
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 250));
      status = await inspect();
    }
    expect(status).toBe(404);
  });

  it("runs OpenShell.local() from the package over the real Docker engine, from ESM and CommonJS, and loads SQLite only then", async () => {
    const endpoint = process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock";
    // Non-root (USER 1000:1000): local mode refuses an image that would run as root.
    const image = process.env.OPENSHELL_TEST_SANDBOX_IMAGE ?? "openshell-test/sandbox:1";
    // Which native modules are loaded, before and after local mode starts: a client-only user must
    // not need better-sqlite3 to import the package.
    const body = (load: string) =>
      [
        load,
        "const sqliteLoaded = () => Object.keys(require.cache ?? {}).some((k) => k.includes('better-sqlite3'));",
        "(async () => {",
        "  const before = sqliteLoaded();",
        `  const os = await OpenShell.local({ runtime: "docker", runtimeOptions: { endpoint: { kind: "unix", socketPath: ${JSON.stringify(endpoint.replace(/^unix:\/\//, ""))} } }, ephemeral: true });`,
        "  try {",
        `    const sb = await os.sandboxes.create({ image: ${JSON.stringify(image)}, command: ["sleep", "60"] });`,
        "    await sb.ready({ timeoutMs: 60_000 });",
        '    const res = await sb.exec(["echo", "from the package"]);',
        "    await sb.delete();",
        "    console.log(JSON.stringify({ before, after: sqliteLoaded(), stdout: res.stdout, kind: os.localGateway.runtime.kind }));",
        "  } finally {",
        "    await os.close();",
        "  }",
        "})().catch((e) => { console.error(e); process.exit(1); });",
      ].join("\n");
    const cjs = await run(
      process.execPath,
      ["-e", body('const { OpenShell } = require("openshell");')],
      consumerDir,
    );
    const esm = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        body(
          'import { createRequire } from "node:module"; const require = createRequire(import.meta.url); import { OpenShell } from "openshell";',
        ),
      ],
      consumerDir,
    );
    for (const out of [cjs.stdout, esm.stdout]) {
      expect(JSON.parse(out)).toEqual({
        before: false,
        after: true,
        stdout: "from the package\n",
        kind: "docker",
      });
    }
  });

  it("passes publint with no errors, warnings or suggestions", async () => {
    const { stdout, stderr } = await run(bin("publint"), ["run", "--strict", tarball], repoRoot);
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/Errors:|Warnings:|Suggestions:/);
  });

  it("passes attw (are the types wrong) with no problems", async () => {
    // Exits non-zero on any problem; the table in the thrown message says which entry and why.
    const { stdout } = await run(bin("attw"), ["--format", "ascii", tarball], repoRoot);
    expect(stdout).toMatch(/No problems found/);
  });

  it("keeps the published package.json consistent with the exports map", async () => {
    const manifest = JSON.parse(
      await readFile(join(consumerDir, "node_modules", "openshell", "package.json"), "utf8"),
    ) as {
      exports: Record<string, unknown>;
      sideEffects: boolean;
      type: string;
      bin: Record<string, string>;
    };
    expect(Object.keys(manifest.exports)).toEqual(
      expect.arrayContaining([
        ".",
        "./raw",
        "./runtime",
        "./adapters/image",
        "./adapters/a2a",
        "./adapters/agent-registry",
      ]),
    );
    expect(manifest.bin).toEqual({ "openshell-image": "./dist/bin/openshell-image.js" });
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.type).toBe("module");
  });
});

describe("npm package: openshell/adapters/image and the openshell-image command", () => {
  /** The CLI and the docker CLI against the test engine (as scripts/engines.sh sets it). */
  const dockerEnv = (): NodeJS.ProcessEnv => ({
    ...cleanEnv(),
    DOCKER_HOST: process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock",
  });
  // `--no`: the installed command or a failure, never a download of some other package of that name.
  const npxImage = (args: string[]) =>
    runToEnd("npx", ["--no", "--", "openshell-image", ...args], { cwd: consumerDir, env: dockerEnv() });

  it("ships the adapter's entry point in both module formats and the command", () => {
    for (const path of [
      "dist/adapters/image.js",
      "dist/adapters/image.cjs",
      "dist/adapters/image.d.ts",
      "dist/adapters/image.d.cts",
      "dist/bin/openshell-image.js",
    ]) {
      expect(packedFiles, `tarball should contain ${path}`).toContain(path);
    }
  });

  it("loads with `import`; its errors, and the ones it throws, are the SDK's one copy of each class", async () => {
    const script = [
      'import { ContainerRuntimeError, FailedPreconditionError, InvalidArgumentError, OpenShellError } from "openshell";',
      'import { ImageBuildError, ImageNotReadyError, inspectImage, loadImage, prepareImage, PREPARED_FROM_LABEL } from "openshell/adapters/image";',
      'const notReady = new ImageNotReadyError("lacks ip", { image: "a:1", requirements: ["iproute2"] });',
      'const build = new ImageBuildError("failed", { runtime: "docker", image: "a:1", outputTail: ["E: no network"] });',
      // Thrown by the adapter with the class it imports from `openshell`.
      'const noRuntime = await inspectImage({}, "a:1").catch((error) => error);',
      // Thrown by `openshell/runtime` (parseImageReference), which the adapter calls.
      'const badTag = await prepareImage({}, { image: "a:1", tag: "Not A Tag" }).catch((error) => error);',
      "console.log(JSON.stringify({",
      "  functions: [typeof inspectImage, typeof prepareImage, typeof loadImage],",
      "  notReady: [notReady instanceof OpenShellError, notReady instanceof FailedPreconditionError, notReady.code, notReady.requirements],",
      "  build: [build instanceof OpenShellError, build instanceof ContainerRuntimeError, build.outputTail],",
      "  noRuntime: [noRuntime instanceof InvalidArgumentError, noRuntime instanceof OpenShellError, noRuntime.field],",
      "  badTag: [badTag instanceof InvalidArgumentError, badTag instanceof OpenShellError, badTag.field],",
      "  label: PREPARED_FROM_LABEL,",
      "}));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], consumerDir);
    expect(JSON.parse(stdout)).toEqual({
      functions: ["function", "function", "function"],
      notReady: [true, true, "failed_precondition", ["iproute2"]],
      build: [true, true, ["E: no network"]],
      noRuntime: [true, true, "runtime"],
      badTag: [true, true, "tag"],
      label: "openshell.ai/prepared-from",
    });
  });

  it("loads with `require`, resolving the .cjs build, with the same classes as require('openshell')", async () => {
    const script = [
      'const root = require("openshell");',
      'const image = require("openshell/adapters/image");',
      'const notReady = new image.ImageNotReadyError("lacks ip", { image: "a:1", requirements: ["iproute2"] });',
      "image.prepareImage({}, { image: 'a:1', tag: 'Not A Tag' }).catch((badTag) => console.log(JSON.stringify({",
      "  functions: [typeof image.inspectImage, typeof image.prepareImage, typeof image.loadImage],",
      "  notReady: [notReady instanceof root.OpenShellError, notReady instanceof root.FailedPreconditionError, notReady.code],",
      "  badTag: [badTag instanceof root.InvalidArgumentError, badTag.field],",
      '  resolved: require.resolve("openshell/adapters/image").endsWith("dist/adapters/image.cjs"),',
      "})));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["-e", script], consumerDir);
    expect(JSON.parse(stdout)).toEqual({
      functions: ["function", "function", "function"],
      notReady: [true, true, "failed_precondition"],
      badTag: [true, "tag"],
      resolved: true,
    });
  });

  it("npx openshell-image --help prints the usage and exits 0; --version prints the package's version", async () => {
    const help = await npxImage(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n {2}openshell-image inspect IMAGE /);
    expect(help.stdout).toContain("openshell-image prepare IMAGE --tag NAME:TAG");
    expect(help.stdout).toContain("openshell-image load IMAGE --from R");
    const manifest = JSON.parse(
      await readFile(join(consumerDir, "node_modules", "openshell", "package.json"), "utf8"),
    ) as { version: string };
    const version = await npxImage(["--version"]);
    expect([version.code, version.stdout]).toEqual([0, `${manifest.version}\n`]);
  });

  it("npx openshell-image inspect --json prints the inspection as JSON and exits 3 when the image is not ready", async () => {
    const inspected = await npxImage(["inspect", testImages.busybox, "--runtime", "docker", "--json"]);
    expect(inspected.code, inspected.stderr).toBe(3);
    const report = JSON.parse(inspected.stdout) as {
      image: string;
      id: string;
      ready: boolean;
      gaps: { requirement: string; message: string }[];
    };
    const id = (
      await docker(["image", "inspect", "--format", "{{.Id}}", testImages.busybox], dockerEnv())
    ).trim();
    expect(report.image).toBe(testImages.busybox);
    expect(report.id).toBe(id);
    expect(report.ready).toBe(false);
    // Busybox's `ip` applet cannot build the sandbox's network namespace.
    expect(report.gaps.map((gap) => gap.requirement)).toEqual(["iproute2"]);
  });

  it("a usage error exits 2, saying on stderr what to fix, then the usage", async () => {
    const ended = await npxImage(["prepare", testImages.debian, "--runtime", "docker"]);
    expect(ended.code).toBe(2);
    expect(ended.stdout).toBe("");
    expect(ended.stderr).toMatch(
      /^openshell-image: prepare needs --tag NAME:TAG, the name the prepared image gets/,
    );
    expect(ended.stderr).toContain("\nUsage:\n");
  });

  it("Ctrl-C during prepare's build exits 130 and leaves no image, no staging image and no container", async () => {
    const env = dockerEnv();
    const tag = `openshell-pack/cli-interrupted:${Date.now()}`;
    // A uid and gid of this run's own put a new line in the Dockerfile, so no build cache on the
    // machine can finish the build before the interrupt lands.
    const id = String(2000 + Math.floor(Math.random() * 50_000));
    const before = await stagingImages(env);
    const probes = followProbeSessions(env, Math.floor(Date.now() / 1000) - 1);
    try {
      const cli = join(consumerDir, "node_modules", ".bin", "openshell-image");
      const args = [
        "prepare",
        testImages.debian,
        "--tag",
        tag,
        "--uid",
        id,
        "--gid",
        id,
        "--runtime",
        "docker",
      ];
      const ended = await interruptWhen(/^\[build\] /m, cli, args, {
        cwd: consumerDir,
        env,
        timeoutMs: 120_000,
      });
      expect(ended.interrupted, ended.stderr).toBe(true);
      expect(ended.stderr).not.toMatch(/^\[verify\]/m);
      expect(ended.code, ended.stderr).toBe(130);
      expect(ended.stderr).toContain("openshell-image: canceled; nothing was left behind\n");
      expect(ended.stdout).toBe("");

      expect(await docker(["image", "ls", "--quiet", tag], env)).toBe("");
      expect(await leftStagingImages(env, before, 30_000)).toEqual([]);
      // The probe that read the image ran as the command's session: nothing of that session is left.
      const probe = /running in container (openshell-image-probe-[\w-]+)/.exec(ended.stderr)?.[1];
      expect(probe, ended.stderr).toBeDefined();
      const session = await probes.sessionOf(probe as string, 10_000);
      expect(session).toMatch(/^[0-9a-f]{16}$/);
      const labelled = `label=openshell.ai/session=${session}`;
      expect(await docker(["container", "ls", "--all", "--quiet", "--filter", labelled], env)).toBe("");
      // The build's RUN container, when the build got that far, is removed with the build.
      for (const [, buildContainer] of ended.stderr.matchAll(/^\[build\] +---> Running in ([0-9a-f]+)$/gm)) {
        expect(await containerGone(buildContainer as string, env, 10_000), buildContainer).toBe(true);
      }
    } finally {
      probes.stop();
      await docker(["image", "rm", tag], env).catch(() => {});
    }
  });
});
