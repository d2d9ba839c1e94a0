import { defineConfig } from "tsup";

// One build, two module formats: ESM for `import`, CJS for `require`, each with its own typings.
const library = defineConfig({
  entry: {
    index: "src/index.ts",
    raw: "src/raw.ts",
    runtime: "src/runtime/index.ts",
    "adapters/image": "adapters/image/index.ts",
    "adapters/agent-registry": "adapters/agent-registry/index.ts",
    "adapters/a2a": "adapters/a2a/index.ts",
  },
  format: ["esm", "cjs"],
  // stripInternal: declarations marked @internal (constructors that take the client's internal
  // plumbing, driver internals) stay out of the published typings, which hold only public API.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
  // p-retry ships only ESM; bundling it keeps `require("openshell")` working on every Node 20.
  noExternal: ["p-retry", "is-network-error"],
  // Adapters reach the SDK through its public entry points only, so in the build they stay imports
  // of the package itself (`openshell`, `openshell/runtime`): one copy of every class, whichever
  // entry point a program loads first, and no way for an adapter to lean on internals.
  external: [/^openshell(\/|$)/],
});

// The `openshell-image` command: ESM only (top-level await), no typings, and like the adapters it
// imports the SDK by its public names, so it runs against the installed package.
const cli = defineConfig({
  entry: { "bin/openshell-image": "adapters/image/cli/main.ts" },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: false,
  target: "node20",
  external: [/^openshell(\/|$)/],
});

export default [library, cli];
