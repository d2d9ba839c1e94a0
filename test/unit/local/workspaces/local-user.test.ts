import { describe, expect, it } from "vitest";
import { localUser } from "../../../../src/local/workspaces/local-user.js";

describe("localUser", () => {
  it("is the OS account, a platform admin identified as local_dev", () => {
    expect(localUser(() => ({ username: "ada", uid: 1000 }), {})).toEqual({
      subject: "ada",
      displayName: "ada",
      roles: ["admin"],
      scopes: [],
      identityProvider: "local_dev",
    });
  });

  it("falls back to USER, then to the UID, for an account without a passwd entry", () => {
    // What os.userInfo() throws (seen on Node 20) once the process runs as a UID /etc/passwd does
    // not list, as in a container run with --user 4242.
    const noEntry = () => {
      throw Object.assign(
        new Error("A system error occurred: uv_os_get_passwd returned ENOENT (no such file or directory)"),
        { code: "ERR_SYSTEM_ERROR" },
      );
    };
    expect(localUser(noEntry, { USER: "grace" }).subject).toBe("grace");
    expect(localUser(noEntry, { USER: " " }).subject).toBe(`uid-${process.getuid?.()}`);
  });
});
