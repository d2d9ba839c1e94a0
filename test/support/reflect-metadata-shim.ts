/**
 * @peculiar/x509 pulls in tsyringe, which refuses to load without the `reflect-metadata` polyfill,
 * and that package is not a dependency of this project. tsyringe only stores and reads metadata
 * keyed by (key, target), so this minimal stand-in covers it. Import it before @peculiar/x509.
 */
type MetadataTarget = object;

interface ReflectMetadata {
  getMetadata?(key: unknown, target: MetadataTarget): unknown;
  getOwnMetadata?(key: unknown, target: MetadataTarget): unknown;
  defineMetadata?(key: unknown, value: unknown, target: MetadataTarget): void;
  hasMetadata?(key: unknown, target: MetadataTarget): boolean;
}

const reflect = Reflect as typeof Reflect & ReflectMetadata;

if (!reflect.getMetadata) {
  const store = new WeakMap<MetadataTarget, Map<unknown, unknown>>();
  const own = (target: MetadataTarget) => store.get(target);

  reflect.defineMetadata = (key, value, target) => {
    let entries = own(target);
    if (!entries) {
      entries = new Map();
      store.set(target, entries);
    }
    entries.set(key, value);
  };
  reflect.getOwnMetadata = (key, target) => own(target)?.get(key);
  // Like the real polyfill, inherited metadata is found through the prototype chain.
  reflect.getMetadata = (key, target) => {
    for (let t: MetadataTarget | null = target; t; t = Object.getPrototypeOf(t)) {
      const entries = own(t);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  };
  reflect.hasMetadata = (key, target) => reflect.getMetadata?.(key, target) !== undefined;
}

export {};
