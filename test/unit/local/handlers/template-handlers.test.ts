import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenShell } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { templateHandlers } from "../../../../src/local/handlers/template-handlers.js";
import { gatewayErrorInterceptor } from "../../../../src/local/protocol/gateway-error-interceptor.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { callFailure } from "../../../support/call-failure.js";

/** The template handlers over a real state store, behind the gateway's error mapping, over binary protobuf. */
describe("local mode's template handlers", () => {
  let dir: string;
  let store: LocalStateStore;
  let client: Client<typeof OpenShell>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-template-handlers-"));
    store = LocalStateStore.open(dir);
    const transport = createRouterTransport(
      (router) => router.service(OpenShell, templateHandlers(store.records)),
      { router: { interceptors: [gatewayErrorInterceptor()] } },
    );
    client = createClient(OpenShell, transport);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuse a driver_config number no JSON can hold, naming where it is, and store nothing", async () => {
    const result = await callFailure(
      client.createSandboxTemplate({
        template: { metadata: { name: "nan" }, spec: { driverConfig: { docker: { shm: [1, Number.NaN] } } } },
      }),
    );
    expect(result).toEqual({
      code: "InvalidArgument",
      message: "template.spec.driver_config.docker.shm[1] is NaN: driver config numbers must be finite",
    });
    expect((await client.listSandboxTemplates({})).templates).toEqual([]);
  });

  it("answer with a spec JSON cannot hold (a duration past its range) exactly as it was sent", async () => {
    const readyWithin = { seconds: 400_000_000_000n, nanos: 0 };
    const created = await client.createSandboxTemplate({
      template: {
        metadata: { name: "slow", labels: { a: "b" } },
        spec: { workload: { image: "x:1" }, desiredServiceLevel: { startup: { readyWithin, maxBurst: 3 } } },
      },
    });
    const got = await client.getSandboxTemplate({ name: "slow" });
    expect(got.template).toEqual(created.template);
    expect(got.template?.spec?.desiredServiceLevel?.startup?.readyWithin?.seconds).toBe(400_000_000_000n);
  });

  it("need a name for get and delete, and answer a missing one NOT_FOUND and deleted=false", async () => {
    expect(await callFailure(client.getSandboxTemplate({}))).toEqual({
      code: "InvalidArgument",
      message: "name is required",
    });
    expect(await callFailure(client.deleteSandboxTemplate({}))).toMatchObject({ code: "InvalidArgument" });
    expect(await callFailure(client.getSandboxTemplate({ name: "absent", workspace: "team" }))).toEqual({
      code: "NotFound",
      message:
        'sandbox template "absent" not found in workspace "team": create it first (os.templates.create({ name: "absent", image }))',
    });
    expect((await client.deleteSandboxTemplate({ name: "absent" })).deleted).toBe(false);
  });
});
