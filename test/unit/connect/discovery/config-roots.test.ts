import { describe, expect, it } from "vitest";
import { systemConfigRoot, userConfigRoot } from "../../../../src/connect/discovery/config-roots.js";

describe("userConfigRoot", () => {
  it("uses $XDG_CONFIG_HOME/openshell when set", () => {
    const root = userConfigRoot({
      env: { XDG_CONFIG_HOME: "/x/cfg", HOME: "/h" },
      homeDir: "/h",
      platform: "linux",
    });
    expect(root).toBe("/x/cfg/openshell");
  });

  it("falls back to ~/.config/openshell, the homeDir option beating $HOME", () => {
    expect(userConfigRoot({ env: { HOME: "/env-home" }, homeDir: "/opt-home", platform: "linux" })).toBe(
      "/opt-home/.config/openshell",
    );
    expect(userConfigRoot({ env: { HOME: "/env-home" }, homeDir: undefined, platform: "darwin" })).toBe(
      "/env-home/.config/openshell",
    );
  });

  it("ignores a blank or relative XDG_CONFIG_HOME", () => {
    for (const xdg of ["", "  ", "relative/cfg"]) {
      expect(userConfigRoot({ env: { XDG_CONFIG_HOME: xdg }, homeDir: "/h", platform: "linux" })).toBe(
        "/h/.config/openshell",
      );
    }
  });

  it("uses %APPDATA%\\openshell on Windows", () => {
    const root = userConfigRoot({
      env: { APPDATA: "C:\\Users\\me\\AppData\\Roaming" },
      homeDir: "C:\\Users\\me",
      platform: "win32",
    });
    expect(root).toBe("C:\\Users\\me\\AppData\\Roaming\\openshell");
  });

  it("on Windows without APPDATA uses the roaming folder under the home folder", () => {
    expect(userConfigRoot({ env: {}, homeDir: "C:\\Users\\me", platform: "win32" })).toBe(
      "C:\\Users\\me\\AppData\\Roaming\\openshell",
    );
  });
});

describe("systemConfigRoot", () => {
  it("uses OPENSHELL_SYSTEM_GATEWAY_DIR when it is a non-empty absolute path", () => {
    expect(systemConfigRoot({ OPENSHELL_SYSTEM_GATEWAY_DIR: "/srv/openshell" })).toBe("/srv/openshell");
  });

  it("falls back to /etc/openshell when unset, blank or relative", () => {
    for (const dir of [undefined, "", " ", "etc/openshell"]) {
      expect(systemConfigRoot({ OPENSHELL_SYSTEM_GATEWAY_DIR: dir })).toBe("/etc/openshell");
    }
  });
});
