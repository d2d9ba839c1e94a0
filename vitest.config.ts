import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Adapters import the public entry points by name (`openshell`, `openshell/runtime`), as users do;
// in tests those names are the sources (tsconfig.json maps them the same way for tsc). Each project
// needs the alias itself: projects do not inherit the root's `resolve`, and without it the names
// resolve through package.json's exports to whatever stale build is in dist/.
const alias = [
  { find: /^openshell$/, replacement: source("./src/index.ts") },
  { find: /^openshell\/runtime$/, replacement: source("./src/runtime/index.ts") },
  { find: /^openshell\/raw$/, replacement: source("./src/raw.ts") },
  { find: /^openshell\/adapters\/image$/, replacement: source("./adapters/image/index.ts") },
  {
    find: /^openshell\/adapters\/agent-registry$/,
    replacement: source("./adapters/agent-registry/index.ts"),
  },
  { find: /^openshell\/adapters\/a2a$/, replacement: source("./adapters/a2a/index.ts") },
];

// One config, four projects, so `vitest run` with no filter runs the whole suite and closes with a
// single "Tests  N passed (N)" summary line. Pick one with `--project <name>`.
export default defineConfig({
  resolve: { alias },
  test: {
    // The default reporter always ends with the Test Files / Tests / Duration summary, TTY or not.
    reporters: ["default"],
    // One temporary folder per run, removed at its end (test/support/suite-temp-dir.ts).
    globalSetup: ["test/support/suite-temp-dir.ts"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          // Real container engines: image pulls and container start-up take seconds, not milliseconds.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          environment: "node",
          // Builds, packs and installs into a fresh consumer project (registry download included).
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Runs after the other projects: its CPU-heavy build and tsc would otherwise skew the
          // timing-sensitive stream-timeout tests running alongside.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
