import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const adapters = join(root, "adapters");
/** The package names an adapter may import the SDK by: its public entry points, nothing deeper. */
const PUBLIC_ENTRY_POINTS = new Set(["openshell", "openshell/runtime", "openshell/raw"]);
/** Adapters may also use each other, by their own public names. */
const ADAPTER_ENTRY_POINT = /^openshell\/adapters\/[a-z0-9-]+$/;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("adapters", () => {
  it("reach the SDK only through its public entry points (never src/ internals)", async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(adapters)) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        const specifier = match[1] as string;
        const where = `${relative(root, file)}: ${specifier}`;
        if (specifier.startsWith(".")) {
          const target = resolve(dirname(file), specifier);
          if (relative(adapters, target).startsWith("..")) offending.push(where);
        } else if (
          specifier.startsWith("openshell") &&
          !PUBLIC_ENTRY_POINTS.has(specifier) &&
          !ADAPTER_ENTRY_POINT.test(specifier)
        ) {
          offending.push(where);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
