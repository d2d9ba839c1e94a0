// msw 3 requires Node 22 (its package.json "engines"); this project supports Node 20.3+ and this
// machine runs Node 20. What msw 3.0.5 uses from Node 22, found by running it here and by grepping
// its lib/: Promise.withResolvers (its socket interceptor, on every request) and
// Set.prototype.intersection / difference (resetHandlers). Nothing else. Provided for tests only,
// and only where missing.

const promise = Promise as unknown as { withResolvers?: () => unknown };
if (typeof promise.withResolvers !== "function") {
  promise.withResolvers = () => {
    let resolve: (value: unknown) => void = () => {};
    let reject: (reason: unknown) => void = () => {};
    const created = new Promise((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise: created, resolve, reject };
  };
}

type SetMethods = { intersection?: unknown; difference?: unknown };
const setPrototype = Set.prototype as unknown as SetMethods;
if (typeof setPrototype.intersection !== "function") {
  setPrototype.intersection = function intersection(
    this: Set<unknown>,
    other: { has(value: unknown): boolean },
  ) {
    return new Set([...this].filter((value) => other.has(value)));
  };
}
if (typeof setPrototype.difference !== "function") {
  setPrototype.difference = function difference(this: Set<unknown>, other: { has(value: unknown): boolean }) {
    return new Set([...this].filter((value) => !other.has(value)));
  };
}

export {};
