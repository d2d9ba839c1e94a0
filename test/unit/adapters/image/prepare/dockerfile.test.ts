import { InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../../adapters/image/facts/image-facts.js";
import { renderDockerfile } from "../../../../../adapters/image/prepare/dockerfile.js";
import { planPreparation } from "../../../../../adapters/image/prepare/plan.js";
import { dockerfileQuote, shellQuote } from "../../../../../adapters/image/prepare/quoting.js";
import { distroFacts } from "./distro-facts.js";

function refusal(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error("expected an InvalidArgumentError");
}

describe("renderDockerfile", () => {
  it("is FROM the base, then the plan's steps, for the recorded Debian test image", () => {
    const facts = distroFacts("debian-12");
    expect(renderDockerfile(planPreparation(facts), facts, "sha256:abc")).toBe(
      [
        "FROM sha256:abc",
        // One RUN: a build stopped between two RUN steps would leave the first as a dangling image.
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/* && /usr/sbin/groupadd --gid 1000 sandbox && /usr/sbin/useradd --uid 1000 --gid 1000 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox && mkdir -p /sandbox && chown 1000:1000 /sandbox",
        "USER sandbox",
        "",
      ].join("\n"),
    );
  });

  it("for a named non-root user and a PATH without sbin: USER 0:0, ENV PATH, the steps, the user again", () => {
    const base = distroFacts("alpine-3.20");
    const facts: ImageFacts = {
      ...base,
      users: [...base.users, { name: "node", uid: 1000, gid: 1000, home: "/home/node", shell: "/bin/sh" }],
      groups: [...base.groups, { name: "node", gid: 1000, members: [] }],
      config: { ...base.config, user: "node" },
      path: ["/usr/local/bin", "/usr/bin", "/bin"],
    };
    expect(renderDockerfile(planPreparation(facts), facts, "node:22-alpine")).toBe(
      [
        "FROM node:22-alpine",
        "USER 0:0",
        'ENV PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"',
        "RUN apk add --no-cache iproute2 && /usr/sbin/addgroup -g 1001 sandbox && /usr/sbin/adduser -D -H -h /sandbox -s /bin/sh -G sandbox -u 1001 sandbox && mkdir -p /sandbox && chown 1001:1001 /sandbox",
        "USER node",
        "",
      ].join("\n"),
    );
  });

  it("refuses an empty plan: there is nothing to build", () => {
    const facts = distroFacts("opensuse-leap-15.6", {
      users: [{ name: "sandbox", uid: 1000, gid: 1000, home: "/sandbox", shell: "/bin/sh" }],
      groups: [{ name: "sandbox", gid: 1000, members: [] }],
    });
    const prepared = { ...facts, config: { ...facts.config, user: "sandbox" } };
    const error = refusal(() => renderDockerfile(planPreparation(prepared), prepared, prepared.id));
    expect(error.field).toBe("plan");
    expect(error.message).toBe("opensuse/leap:15.6 needs nothing added: skip the build and use it as it is.");
  });

  it("refuses a plan with unmet requirements: never a half-ready image", () => {
    const facts = distroFacts("busybox");
    const error = refusal(() => renderDockerfile(planPreparation(facts), facts, facts.id));
    expect(error.field).toBe("plan");
    expect(error.message).toMatch(
      /^The plan for openshell-test\/busybox:1 has unmet requirements \(iproute2\)/,
    );
  });

  it("refuses a plan made for another image, and a base that is not one word", () => {
    const debian = distroFacts("debian-12");
    const plan = planPreparation(debian);
    expect(refusal(() => renderDockerfile(plan, distroFacts("ubuntu-24.04"), "x")).message).toMatch(
      /^The plan was made for image sha256:debian12/,
    );
    expect(refusal(() => renderDockerfile(plan, debian, "debian\nRUN rm -rf /")).field).toBe("base");
    expect(refusal(() => renderDockerfile(plan, debian, "")).field).toBe("base");
  });
});

describe("quoting", () => {
  it("shell words: harmless ones stay bare, anything else is single-quoted", () => {
    expect(shellQuote("util-linux-misc")).toBe("util-linux-misc");
    expect(shellQuote("/usr/sbin/useradd")).toBe("/usr/sbin/useradd");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$(reboot)")).toBe("'$(reboot)'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('Dockerfile ENV values: $, " and \\ are escaped inside double quotes', () => {
    expect(dockerfileQuote("/usr/bin")).toBe('"/usr/bin"');
    expect(dockerfileQuote('$PATH "x" \\')).toBe('"\\$PATH \\"x\\" \\\\"');
  });
});
