import { describe, expect, it } from "vitest";
import { harnessPerTest, outcome } from "./handler-harness.js";

const h = harnessPerTest();

const UNKNOWN = {
  code: "NotFound",
  message: 'workspace "nows" not found: create it first with os.workspaces.create({ name: "nows" })',
};
const TERMINATING = {
  code: "FailedPrecondition",
  message:
    'workspace "team" is being deleted (TERMINATING): nothing new can be created in it; delete what it still holds and delete the workspace again, or use another workspace',
};

async function createProvider(name: string, workspace: string) {
  return h.client.createProvider({
    provider: { metadata: { name }, type: "openai", credentials: { OPENAI_API_KEY: "sk-x" } },
    workspace,
  });
}

/** Workspace "team" holding provider "llm", TERMINATING after a refused delete. */
async function terminatingTeam(): Promise<void> {
  await h.client.createWorkspace({ name: "team" });
  await createProvider("llm", "team");
  expect((await outcome(h.client.deleteWorkspace({ name: "team" }))).code).toBe("FailedPrecondition");
}

const providerNames = (res: { providers: { metadata?: { name: string; workspace: string } }[] }) =>
  res.providers.map((p) => `${p.metadata?.workspace}/${p.metadata?.name}`);

describe("workspace-scoped calls of local mode in a workspace never created or being deleted", () => {
  it("ListProviders of a workspace never created is NOT_FOUND saying how to create it, not an empty list", async () => {
    expect(await outcome(h.client.listProviders({ workspace: "nows" }))).toEqual(UNKNOWN);
    // default needs no create; every workspace at once needs none to exist.
    expect(providerNames(await h.client.listProviders({}))).toEqual([]);
    expect(providerNames(await h.client.listProviders({ workspace: "default" }))).toEqual([]);
    expect(providerNames(await h.client.listProviders({ allWorkspaces: true }))).toEqual([]);
    // Both at once stays the caller's mistake, whatever the workspace.
    expect((await outcome(h.client.listProviders({ workspace: "nows", allWorkspaces: true }))).code).toBe(
      "InvalidArgument",
    );
  });

  it("ListProviders of a TERMINATING workspace still lists what it holds", async () => {
    await terminatingTeam();
    expect(providerNames(await h.client.listProviders({ workspace: "team" }))).toEqual(["team/llm"]);
  });

  it("SetInferenceRoute in a workspace never created is NOT_FOUND naming the workspace, not the provider", async () => {
    expect(
      await outcome(h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", workspace: "nows" })),
    ).toEqual(UNKNOWN);
  });

  it("SetInferenceRoute in a TERMINATING workspace is refused and stores no route, like any create there", async () => {
    await terminatingTeam();
    expect(
      await outcome(h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", workspace: "team" })),
    ).toEqual(TERMINATING);
    expect((await outcome(h.inference.getInferenceRoute({ workspace: "team" }))).code).toBe("NotFound");
    // Once the workspace is empty its delete goes through: no route was left behind to hold it.
    await h.client.deleteProvider({ name: "llm", workspace: "team" });
    expect(await h.client.deleteWorkspace({ name: "team" })).toMatchObject({ deleted: true });
  });

  it("SetInferenceRoute in a workspace that exists and is active works as before", async () => {
    await h.client.createWorkspace({ name: "team" });
    await createProvider("llm", "team");
    const set = await h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", workspace: "team" });
    expect(set).toMatchObject({ workspace: "team", providerName: "llm", modelId: "m", version: 1n });
  });
});
