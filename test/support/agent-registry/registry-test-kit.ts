import { readFileSync } from "node:fs";
import type { ResourceJson } from "./registry-handlers.js";

/** A registry resource from test/fixtures/agent-registry/ (`agent-a2a.json`, ...). */
export function loadFixture(name: string): ResourceJson {
  return JSON.parse(readFileSync(new URL(`../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));
}

/** The error `promise` rejects with; fails the test when it resolves or rejects with a non-Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error("the call succeeded");
}
