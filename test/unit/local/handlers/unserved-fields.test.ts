import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { OpenShell } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { refusingWorkloadTemplates } from "../../../../src/local/handlers/unserved-fields.js";

/** A CreateSandbox handler that records what reached it, behind the refusal. */
function gateway() {
  const reached: string[] = [];
  const transport = createRouterTransport((router) => {
    router.service(
      OpenShell,
      refusingWorkloadTemplates({
        async createSandbox(req) {
          reached.push(req.name);
          return { sandbox: { metadata: { name: req.name } } };
        },
      }),
    );
  });
  return { client: createClient(OpenShell, transport), reached };
}

describe("CreateSandbox with a workload template name in local mode", () => {
  it("is refused UNIMPLEMENTED, naming the template and what to do instead, before the handler runs", async () => {
    const { client, reached } = gateway();
    const error = await client
      .createSandbox({ name: "web", workloadTemplateName: "py-small", spec: {} })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(error?.code).toBe(Code.Unimplemented);
    expect(error?.rawMessage).toBe(
      'workload_template_name "py-small": creating a sandbox from a workload template is not available ' +
        "in local mode (OpenShell.local()): workload templates need an OpenShell gateway " +
        "(OpenShell.connect()); in local mode give sandboxes.create() the image, env and resources directly",
    );
    expect(reached).toEqual([]);
  });

  it("leaves a create without one to the handler", async () => {
    const { client, reached } = gateway();
    const res = await client.createSandbox({ name: "web", spec: {} });
    expect(res.sandbox?.metadata?.name).toBe("web");
    expect(reached).toEqual(["web"]);
  });
});
