import Database from "better-sqlite3";
import { ResourceExhaustedError } from "../../errors.js";

/**
 * SQLite's failures of the storage itself, in the SDK's words: which directory, what went wrong and
 * what to do. A full disk is ResourceExhaustedError (RESOURCE_EXHAUSTED on the wire) rather than
 * SQLite's bare "database or disk is full", which reached users as an INTERNAL gateway failure.
 * SQLite rolls the statement's transaction back when it cannot write, so nothing half-written stays.
 * Any other error is returned as it is.
 */
export function storageError(error: unknown, dir: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === "SQLITE_FULL") {
    return new ResourceExhaustedError(
      `the local gateway's state directory ${dir} is full: its disk has no space left, so the change ` +
        "was not saved. Free space there and try again",
      { cause: error },
    );
  }
  return error;
}

/**
 * `target` with every method call's storage errors translated by {@link storageError}: one place for
 * all of a store's methods (each is one transaction, and any of them may meet a full disk, the commit
 * included), rather than a try/catch in each.
 */
export function translatingStorageErrors<T extends object>(target: T, dir: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          return value.apply(object, args);
        } catch (error) {
          throw storageError(error, dir);
        }
      };
    },
  });
}
