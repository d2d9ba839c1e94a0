import { inspect } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { redactCredentials } from "../../../../src/client/providers/redact-credentials.js";
import { InvalidArgumentError } from "../../../../src/errors.js";

describe("redactCredentials", () => {
  it("replaces every occurrence and drops a cause that quotes the value", () => {
    const cause = new ConnectError("token ghp_abcdef123456 rejected", Code.InvalidArgument);
    const err = new InvalidArgumentError(
      "create provider: token ghp_abcdef123456 rejected (ghp_abcdef123456)",
      { cause },
    );
    redactCredentials(err, ["ghp_abcdef123456"]);
    expect(err.message).toBe("create provider: token [redacted] rejected ([redacted])");
    expect(err.cause).toBeUndefined();
    expect(inspect(err, { depth: 10 })).not.toContain("ghp_abcdef123456");
  });

  it("redacts short values only as whole tokens, so messages stay readable", () => {
    const err = new InvalidArgumentError('value "ab" is too short for provider about');
    redactCredentials(err, ["ab"]);
    expect(err.message).toBe('value "[redacted]" is too short for provider about');
  });

  it("keeps an error untouched when no value appears in it", () => {
    const cause = new ConnectError("provider exists", Code.AlreadyExists);
    const err = new InvalidArgumentError("create provider: provider exists", { cause });
    redactCredentials(err, ["sk-not-there", ""]);
    expect(err.message).toBe("create provider: provider exists");
    expect(err.cause).toBe(cause);
  });
});
