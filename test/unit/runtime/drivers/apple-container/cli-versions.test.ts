import { describe, expect, it } from "vitest";
import { parseContainerList } from "../../../../../src/runtime/drivers/apple-container/container-json.js";
import {
  parseNetworks,
  parseVersion,
} from "../../../../../src/runtime/drivers/apple-container/resource-json.js";
import { fixture } from "./fake-runner.js";

/*
 * The JSON of CLI releases other than the 1.x line the other tests mostly use, each fixture in the
 * shape that release's Codable structs encode (docs/runtimes/apple-container.md says which).
 */

const SESSION = { "openshell.ai/managed-by": "openshell", "openshell.ai/session": "sess0001" };
const NETWORKS = "container network list --format json";

describe("host-only networks, as `network create --internal` makes them (0.9.0 on)", () => {
  it("reads a hostOnly network of 0.9-0.12 as internal, and one still being created", () => {
    expect(parseNetworks(fixture("network-list-0.12.json"), NETWORKS)).toEqual([
      {
        id: "default",
        name: "default",
        internal: false,
        labels: { "com.apple.container.resource.role": "builtin" },
        subnet: "192.168.64.0/24",
        gateway: "192.168.64.1",
      },
      {
        id: "sbx-internal",
        name: "sbx-internal",
        internal: true,
        labels: SESSION,
        subnet: "192.168.70.0/24",
        gateway: "192.168.70.1",
      },
      // `created`, not running yet: no status, so no gateway; no subnet was asked for.
      { id: "pending", name: "pending", internal: false, labels: {} },
    ]);
  });

  it("reads `network inspect` of 1.x (pretty-printed, slashes escaped) like the list", () => {
    expect(
      parseNetworks(fixture("network-inspect-hostonly-1.1.txt"), "container network inspect sbx-internal"),
    ).toEqual([
      {
        id: "sbx-internal",
        name: "sbx-internal",
        internal: true,
        labels: SESSION,
        subnet: "192.168.70.0/24",
        gateway: "192.168.70.1",
      },
    ]);
  });
});

describe("container list of 0.4-0.7 (no startedDate; attachments with `address`)", () => {
  const [running, stopped] = parseContainerList(
    fixture("list-0.7.json"),
    "container list --all --format json",
  );

  it("reads the address from `address` and the ports", () => {
    expect(running).toMatchObject({
      id: "old-1",
      state: "running",
      startedAt: null,
      addresses: [{ network: "default", ipv4: "192.168.64.4" }],
      ports: [{ containerPort: 8000, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 18001 }],
    });
  });

  it("reports a stopped container as created: these releases print nothing that tells whether it ran", () => {
    expect(stopped).toMatchObject({ id: "old-2", state: "created", running: false, exitCode: null });
  });
});

describe("version banners", () => {
  it("reads `container --version` of the 0.x and 1.x lines", () => {
    expect(parseVersion(fixture("version-0.12.txt"))).toBe("0.12.3");
    expect(parseVersion(fixture("version.txt"))).toBe("1.1.0");
  });

  it("reads the versions `system version --format json` prints (0.10.0 on): bare for the CLI, a banner for the API server", () => {
    const [cli, server] = JSON.parse(fixture("system-version-1.1.txt")) as { version: string }[];
    expect(parseVersion(cli?.version ?? "")).toBe("1.1.0");
    expect(parseVersion(server?.version ?? "")).toBe("1.1.0");
  });
});
