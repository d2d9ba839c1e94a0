import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyExistsError, ResourceExhaustedError } from "../../../../src/errors.js";
import { SandboxWorkloadTemplateSpecSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import {
  deleteTemplate,
  findTemplate,
  insertTemplate,
  listTemplates,
  MAX_TEMPLATES_PER_WORKSPACE,
  type NewTemplate,
  templateToProto,
} from "../../../../src/local/templates/template-records.js";

function newTemplate(name: string, workspace = "default", labels: Record<string, string> = {}): NewTemplate {
  return {
    name,
    workspace,
    labels,
    annotations: {},
    spec: create(SandboxWorkloadTemplateSpecSchema, {
      workload: { image: `${name}:1`, environment: { A: "1" }, resources: { cpu: "1", gpu: { count: 1 } } },
      driverConfig: { kubernetes: { x: 1 } },
      desiredServiceLevel: { startup: { readyWithin: { seconds: 30n }, maxBurst: 2 } },
    }),
  };
}

describe("workload template records", () => {
  let dir: string;
  let store: LocalStateStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-template-records-"));
    store = LocalStateStore.open(dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answer with what was stored, after the store is opened again", () => {
    const stored = insertTemplate(store.records, newTemplate("py", "default", { team: "ml" }));
    const proto = templateToProto(stored);
    store.close();
    store = LocalStateStore.open(dir);
    const again = findTemplate(store.records, "default", "py");
    expect(again && templateToProto(again)).toEqual(proto);
    expect(proto.metadata).toMatchObject({ name: "py", workspace: "default", labels: { team: "ml" } });
    expect(proto.metadata?.resourceVersion).toBe(1n);
    expect(proto.spec?.workload?.resources?.gpu?.count).toBe(1);
    expect(proto.spec?.driverConfig).toEqual({ kubernetes: { x: 1 } });
    expect(proto.spec?.desiredServiceLevel?.startup?.readyWithin?.seconds).toBe(30n);
  });

  it("refuse a duplicate name in one workspace, not in another", () => {
    insertTemplate(store.records, newTemplate("py"));
    expect(() => insertTemplate(store.records, newTemplate("py"))).toThrow(AlreadyExistsError);
    expect(() => insertTemplate(store.records, newTemplate("py", "team"))).not.toThrow();
  });

  it(`hold at most ${MAX_TEMPLATES_PER_WORKSPACE} per workspace (RESOURCE_EXHAUSTED), counted per workspace`, () => {
    store.records.atomically(() => {
      for (let i = 0; i < MAX_TEMPLATES_PER_WORKSPACE; i++)
        insertTemplate(store.records, newTemplate(`t${i}`));
    });
    const error = (() => {
      try {
        insertTemplate(store.records, newTemplate("one-more"));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect((error as Error).message).toMatch(/^workspace "default" already holds 1000 sandbox templates/);
    expect(findTemplate(store.records, "default", "one-more")).toBeUndefined();
    expect(() => insertTemplate(store.records, newTemplate("one-more", "team"))).not.toThrow();
    // A delete makes room again.
    expect(deleteTemplate(store.records, "default", "t0")).toBe(true);
    expect(() => insertTemplate(store.records, newTemplate("one-more"))).not.toThrow();
  });

  it("list by workspace then name, filtered by labels, paged with the gateway's defaults", () => {
    for (const [name, ws] of [
      ["b", "default"],
      ["a", "team"],
      ["a", "default"],
      ["c", "default"],
    ] as const) {
      insertTemplate(store.records, newTemplate(name, ws, { kind: name === "c" ? "other" : "lab" }));
    }
    const names = (workspace: string | undefined, selector: [string, string][] = [], limit = 0, offset = 0) =>
      listTemplates(store.records, { workspace, selector, limit, offset }).map((t) => `${t.scope}/${t.name}`);
    expect(names(undefined)).toEqual(["default/a", "default/b", "default/c", "team/a"]);
    expect(names("default")).toEqual(["default/a", "default/b", "default/c"]);
    expect(names("default", [["kind", "lab"]])).toEqual(["default/a", "default/b"]);
    expect(names(undefined, [], 2, 1)).toEqual(["default/b", "default/c"]);
    expect(deleteTemplate(store.records, "default", "zzz")).toBe(false);
  });
});
