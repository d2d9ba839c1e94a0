import { describe, expect, it } from "vitest";
import type {
  GroupAccount,
  ImageFacts,
  UserAccount,
} from "../../../../../adapters/image/facts/image-facts.js";
import { planAccounts } from "../../../../../adapters/image/prepare/account-steps.js";
import { distroFacts } from "./distro-facts.js";

const sandboxUser = (uid: number, gid: number): UserAccount => ({
  name: "sandbox",
  uid,
  gid,
  home: "/home/sandbox",
  shell: "/bin/sh",
});
const sandboxGroup = (gid: number): GroupAccount => ({ name: "sandbox", gid, members: [] });
const debian = (patch: Partial<ImageFacts> = {}) => distroFacts("debian-12", patch);
const debianWith = (users: UserAccount[], groups: GroupAccount[]) =>
  debian({ users: [...debian().users, ...users], groups: [...debian().groups, ...groups] });

describe("the sandbox user and group, made with whichever tool the image has", () => {
  it("shadow's groupadd and useradd first (Debian, recorded), with home /sandbox owned by the new user", () => {
    expect(planAccounts(debian(), {}).commands).toEqual([
      "/usr/sbin/groupadd --gid 1000 sandbox",
      "/usr/sbin/useradd --uid 1000 --gid 1000 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox",
      "mkdir -p /sandbox",
      "chown 1000:1000 /sandbox",
    ]);
  });

  it("Debian's adduser and addgroup (long options, no questions asked) when shadow's tools are absent", () => {
    const tools = debian().accountTools;
    const steps = planAccounts(
      debian({ accountTools: { adduser: tools.adduser, addgroup: tools.addgroup } }),
      {},
    );
    expect(steps.commands.slice(0, 2)).toEqual([
      "/usr/sbin/addgroup --gid 1000 sandbox",
      "/usr/sbin/adduser --uid 1000 --gid 1000 --home /sandbox --no-create-home --shell /bin/sh --disabled-password --gecos '' sandbox",
    ]);
    expect(steps.added).toEqual([
      "group sandbox (gid 1000) with addgroup",
      "user sandbox (uid 1000, gid 1000, home /sandbox) with adduser",
    ]);
  });

  it("busybox's addgroup and adduser (short options) on Alpine", () => {
    expect(planAccounts(distroFacts("alpine-3.20"), {}).commands.slice(0, 2)).toEqual([
      "/usr/sbin/addgroup -g 1000 sandbox",
      "/usr/sbin/adduser -D -H -h /sandbox -s /bin/sh -G sandbox -u 1000 sandbox",
    ]);
  });

  it("lines appended to /etc/group and /etc/passwd (and the shadow files when present) when there is no tool", () => {
    const steps = planAccounts(distroFacts("ubi9-minimal"), {});
    expect(steps.commands).toEqual([
      "printf '%s\\n' sandbox:x:1000: >> /etc/group && if [ -e /etc/gshadow ]; then printf '%s\\n' 'sandbox:!::' >> /etc/gshadow; fi",
      "printf '%s\\n' sandbox:x:1000:1000::/sandbox:/bin/sh >> /etc/passwd && if [ -e /etc/shadow ]; then printf '%s\\n' 'sandbox:!:::::::' >> /etc/shadow; fi",
      "mkdir -p /sandbox",
      "chown 1000:1000 /sandbox",
    ]);
    expect(steps.added).toEqual([
      "group sandbox (gid 1000) in /etc/group",
      "user sandbox (uid 1000, gid 1000, home /sandbox) in /etc/passwd",
    ]);
  });

  it("an adduser of unknown flavour (Fedora's link to useradd, without useradd itself) is not guessed at", () => {
    const fedora = distroFacts("fedora-40");
    const steps = planAccounts({ ...fedora, accountTools: { adduser: fedora.accountTools.adduser } }, {});
    expect(steps.added).toEqual([
      "group sandbox (gid 1000) in /etc/group",
      "user sandbox (uid 1000, gid 1000, home /sandbox) in /etc/passwd",
    ]);
  });

  it("a tool at a path with shell metacharacters is quoted, not run as a command line", () => {
    const steps = planAccounts(
      debian({ accountTools: { groupadd: { path: "/opt/x'; rm -rf /;'/groupadd", busybox: false } } }),
      {},
    );
    expect(steps.commands[0]).toBe("'/opt/x'\\''; rm -rf /;'\\''/groupadd' --gid 1000 sandbox");
  });
});

describe("only what is missing", () => {
  it("nothing when both exist", () => {
    expect(planAccounts(debianWith([sandboxUser(1000, 1000)], [sandboxGroup(1000)]), {})).toEqual({
      commands: [],
      added: [],
      unmet: [],
    });
  });

  it("only the user, in the existing group, when only the group exists", () => {
    const steps = planAccounts(debianWith([], [sandboxGroup(1200)]), {});
    expect(steps.commands[0]).toBe(
      "/usr/sbin/useradd --uid 1000 --gid 1200 --home-dir /sandbox --no-create-home --shell /bin/sh --no-log-init sandbox",
    );
    expect(steps.added).toEqual(["user sandbox (uid 1000, gid 1200, home /sandbox) with useradd"]);
  });

  it("only the group, with the existing user's primary gid when no group holds it", () => {
    const steps = planAccounts(debianWith([sandboxUser(1300, 1300)], []), {});
    expect(steps.commands).toEqual(["/usr/sbin/groupadd --gid 1300 sandbox"]);
    expect(steps.added).toEqual(["group sandbox (gid 1300) with groupadd"]);
  });

  it("only the group, with a free gid and the user as member, when the user's primary gid is another group's", () => {
    // gid 100 is Debian's "users" group: the user's primary group is left as it is.
    const steps = planAccounts(debianWith([sandboxUser(1300, 100)], []), {});
    expect(steps.commands).toEqual([
      "printf '%s\\n' sandbox:x:1000:sandbox >> /etc/group && if [ -e /etc/gshadow ]; then printf '%s\\n' 'sandbox:!::sandbox' >> /etc/gshadow; fi",
    ]);
    expect(steps.added).toEqual(["group sandbox (gid 1000, member sandbox) in /etc/group"]);
  });
});

describe("uid and gid", () => {
  it("asked-for ids are used, and one asked-for id is taken for the other too when free", () => {
    expect(planAccounts(debian(), { uid: 2000, gid: 3000 }).added).toEqual([
      "group sandbox (gid 3000) with groupadd",
      "user sandbox (uid 2000, gid 3000, home /sandbox) with useradd",
    ]);
    expect(planAccounts(debian(), { uid: 2000 }).added[0]).toBe("group sandbox (gid 2000) with groupadd");
    expect(planAccounts(debian(), { gid: 2500 }).added[1]).toBe(
      "user sandbox (uid 2500, gid 2500, home /sandbox) with useradd",
    );
  });

  it("the first id from 1000 free as both uid and gid when none is asked for", () => {
    const taken = debianWith(
      [{ name: "dev", uid: 1000, gid: 1000, home: "/home/dev", shell: "/bin/sh" }],
      [
        { name: "dev", gid: 1000, members: [] },
        { name: "ops", gid: 1001, members: [] },
      ],
    );
    expect(planAccounts(taken, {}).added).toEqual([
      "group sandbox (gid 1002) with groupadd",
      "user sandbox (uid 1002, gid 1002, home /sandbox) with useradd",
    ]);
  });

  it("an asked-for id held by another name is refused, naming who holds it and the field", () => {
    const ubuntu = distroFacts("ubuntu-24.04");
    const steps = planAccounts(ubuntu, { uid: 1000, gid: 1000 });
    expect(steps.commands).toEqual([]);
    expect(steps.unmet).toEqual([
      {
        requirement: "sandbox-user",
        message:
          "uid 1000 is already user ubuntu in this image: choose another user.uid, or leave it out to use the first free id from 1000.",
      },
      {
        requirement: "sandbox-group",
        message:
          "gid 1000 is already group ubuntu in this image: choose another user.gid, or leave it out to use the first free id from 1000.",
      },
    ]);
  });

  it("an existing sandbox user or group with another id than asked for is refused, not silently kept", () => {
    const steps = planAccounts(debianWith([sandboxUser(1000, 1000)], [sandboxGroup(1000)]), { uid: 4000 });
    expect(steps.unmet).toEqual([
      {
        requirement: "sandbox-user",
        message:
          "The image already has user sandbox with uid 1000, not the uid 4000 asked for: leave user.uid out to keep it, or start from an image without it.",
      },
    ]);
    expect(
      planAccounts(debianWith([sandboxUser(1000, 1000)], [sandboxGroup(1000)]), { uid: 1000 }).unmet,
    ).toEqual([]);
  });

  it("a sandbox user or group that is root by id is refused", () => {
    expect(planAccounts(debianWith([sandboxUser(0, 0)], [sandboxGroup(1000)]), {}).unmet[0]?.message).toMatch(
      /user sandbox has uid 0, which is root's/,
    );
    expect(
      planAccounts(debianWith([sandboxUser(1000, 1000)], [sandboxGroup(0)]), {}).unmet[0]?.message,
    ).toMatch(/group sandbox has gid 0/);
    expect(
      planAccounts(debianWith([sandboxUser(1000, 0)], [sandboxGroup(1000)]), {}).unmet[0]?.message,
    ).toMatch(/primary gid 0/);
  });
});
