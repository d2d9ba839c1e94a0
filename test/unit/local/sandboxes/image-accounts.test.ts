import { describe, expect, it } from "vitest";
import {
  parseAccounts,
  parseGroup,
  parsePasswd,
  resolvesWithoutAccounts,
  resolveUser,
} from "../../../../src/local/sandboxes/image-accounts.js";

// What `cat /etc/passwd /etc/group` prints for an image with root by other names.
const accounts = parseAccounts(
  [
    "root:x:0:0:root:/root:/bin/sh",
    "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh",
    "toor:x:0:0:toor:/:/bin/sh",
    "1500:x:1600:1600:a user named by a number:/:/bin/sh",
    "broken:x:notanumber:1000::/:/bin/sh",
    "root:x:0:",
    "sandbox:x:1000:",
    "wheel:x:0:sandbox",
    "agents:x:2000:",
    "",
  ].join("\n"),
);

describe("an image's accounts", () => {
  it("are told apart by the shape of their lines, read as the runtimes read them", () => {
    expect(accounts.passwd.map((p) => p.name)).toEqual(["root", "sandbox", "toor", "1500", "broken"]);
    expect(accounts.group.map((g) => g.name)).toEqual(["root", "sandbox", "wheel", "agents"]);
    // A field that is not a number reads as 0, as runc reads it.
    expect(accounts.passwd.find((p) => p.name === "broken")).toEqual({ name: "broken", uid: 0, gid: 1000 });
    expect(parsePasswd("a:x:12:34\n\n  b:x:+5:6:::  \n")).toEqual([
      { name: "a", uid: 12, gid: 34 },
      { name: "b", uid: 5, gid: 6 },
    ]);
    expect(parseGroup("g:x:7:a,b\n")).toEqual([{ name: "g", gid: 7 }]);
  });
});

describe("resolving a user the way Docker and Podman do", () => {
  const resolve = (user: string, group = "") => resolveUser(user, group, accounts);

  it("finds a name in /etc/passwd with its primary group, and an explicit group in /etc/group", () => {
    expect(resolve("sandbox")).toEqual({ ok: true, uid: 1000, gid: 1000, gidFrom: "passwd" });
    expect(resolve("sandbox", "agents")).toEqual({ ok: true, uid: 1000, gid: 2000, gidFrom: "given" });
    expect(resolve("toor")).toMatchObject({ ok: true, uid: 0, gid: 0 });
    expect(resolve("broken")).toMatchObject({ ok: true, uid: 0 });
    expect(resolve("sandbox", "wheel")).toMatchObject({ ok: true, gid: 0, gidFrom: "given" });
  });

  it("takes a numeric user for a UID always, and gives one that is not in /etc/passwd GID 0", () => {
    expect(resolve("1000")).toEqual({ ok: true, uid: 1000, gid: 1000, gidFrom: "passwd" });
    // Not the user named "1500": UID 1500, which no entry has.
    expect(resolve("1500")).toEqual({ ok: true, uid: 1500, gid: 0, gidFrom: "default" });
    expect(resolve("+0")).toMatchObject({ ok: true, uid: 0 });
    expect(resolve("0001")).toMatchObject({ ok: true, uid: 1 });
    expect(resolve("1234", "1234")).toEqual({ ok: true, uid: 1234, gid: 1234, gidFrom: "given" });
  });

  it("fails for a name that is not there and a number out of range", () => {
    expect(resolve("ghost")).toEqual({ ok: false, missing: "user", name: "ghost" });
    expect(resolve("sandbox", "staff")).toEqual({ ok: false, missing: "group", name: "staff" });
    expect(resolve("-1")).toEqual({ ok: false, outOfRange: "user", value: "-1" });
    expect(resolve("2147483648")).toEqual({ ok: false, outOfRange: "user", value: "2147483648" });
    expect(resolve("1000", "99999999999")).toEqual({ ok: false, outOfRange: "group", value: "99999999999" });
    // Beyond 64 bits it is no number at all: a name, and not there.
    expect(resolve("99999999999999999999")).toMatchObject({ ok: false, missing: "user" });
  });

  it("resolves a numeric user with a numeric group without the image's accounts", () => {
    expect(resolvesWithoutAccounts("1000", "1000")).toBe(true);
    expect(resolvesWithoutAccounts("1000", "")).toBe(false);
    expect(resolvesWithoutAccounts("sandbox", "1000")).toBe(false);
    expect(resolveUser("1000", "1000", undefined)).toEqual({
      ok: true,
      uid: 1000,
      gid: 1000,
      gidFrom: "given",
    });
  });
});
