/*
 * The key structure of JSON documents, for checking that what the emulator prints has the shape the
 * CLI's fixtures record (test/fixtures/apple-container), so the two cannot drift apart unnoticed.
 */

/** What the values seen at one path were: their JSON kinds, object keys, array elements. */
export interface Shape {
  kinds: Set<string>;
  /** Per key: its shape, and in how many of the objects seen here it was present. */
  keys: Map<string, { shape: Shape; seen: number }>;
  /** How many objects were seen here. */
  objects: number;
  /** The shape of every element of every array seen here; undefined while no element was seen. */
  element: Shape | undefined;
}

const emptyShape = (): Shape => ({ kinds: new Set(), keys: new Map(), objects: 0, element: undefined });

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function add(shape: Shape, value: unknown): void {
  const kind = kindOf(value);
  shape.kinds.add(kind);
  if (kind === "array") {
    for (const item of value as unknown[]) {
      shape.element ??= emptyShape();
      add(shape.element, item);
    }
  } else if (kind === "object") {
    shape.objects += 1;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const entry = shape.keys.get(key) ?? { shape: emptyShape(), seen: 0 };
      entry.seen += 1;
      add(entry.shape, item);
      shape.keys.set(key, entry);
    }
  }
}

/** The merged shape of documents (a key is required where every object at its path has it). */
export function shapeOf(...documents: unknown[]): Shape {
  const shape = emptyShape();
  for (const document of documents) add(shape, document);
  return shape;
}

/**
 * Compared by kind only: label and sysctl dictionaries (their keys are data, not structure), and an
 * image's OCI history, whose entries' fields (all optional in the image spec) depend on how the
 * image was made, not on the CLI release.
 */
const DICTIONARIES = new Set(["labels", "Labels", "sysctls", "history"]);

/**
 * Keys an OCI image config may leave out (image-spec `config.md`: every field of `config` is
 * optional), which the fixtures happen to have.
 */
const OCI_OPTIONAL = new Set(["Env", "Entrypoint", "Cmd", "User", "WorkingDir", "Labels", "history"]);

/**
 * Where `actual` strays from `reference`, one line per path: a key the reference never has, a key
 * the reference always has that is missing, a JSON kind the reference never has there. Paths where
 * the reference saw no array element (`mounts: []`) are not compared below that point, and the keys
 * of label dictionaries are not compared at all.
 */
export function shapeDifferences(actual: Shape, reference: Shape, path = "$"): string[] {
  const key = path.slice(path.lastIndexOf(".") + 1);
  if (DICTIONARIES.has(key)) return kindDifferences(actual, reference, path);
  const differences = kindDifferences(actual, reference, path);
  if (actual.objects > 0 && reference.objects > 0) {
    for (const [key, entry] of actual.keys) {
      const known = reference.keys.get(key);
      if (known === undefined) differences.push(`${path}.${key}: not in the reference`);
      else differences.push(...shapeDifferences(entry.shape, known.shape, `${path}.${key}`));
    }
    for (const [key, entry] of reference.keys) {
      const always = entry.seen === reference.objects && !OCI_OPTIONAL.has(key);
      const present = actual.keys.get(key);
      if (always && (present === undefined || present.seen < actual.objects)) {
        differences.push(`${path}.${key}: missing (the reference always has it)`);
      }
    }
  }
  if (actual.element !== undefined && reference.element !== undefined) {
    differences.push(...shapeDifferences(actual.element, reference.element, `${path}[]`));
  }
  return differences;
}

function kindDifferences(actual: Shape, reference: Shape, path: string): string[] {
  const differences: string[] = [];
  for (const kind of actual.kinds) {
    // null is how JSON writes a value some records leave empty (`Labels: null`).
    if (!reference.kinds.has(kind) && !(kind === "null" || reference.kinds.has("null"))) {
      differences.push(`${path}: ${kind}, the reference has ${[...reference.kinds].join(" | ")}`);
    }
  }
  return differences;
}
