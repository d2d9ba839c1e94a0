import { GatewayConfigError } from "../../errors.js";

/**
 * A gateway name becomes a folder name under `gateways/`, so it must be exactly one path component:
 * anything else could read credentials from outside the config root.
 *
 * @param from where the name came from (`option gateway`, `OPENSHELL_GATEWAY`, a file path).
 */
export function checkGatewayName(name: string, from: string): string {
  const problem =
    name === ""
      ? "is empty"
      : name.includes("/") || name.includes("\\")
        ? "contains a path separator"
        : name === "." || name === ".."
          ? "is a relative path"
          : name.includes("\0")
            ? "contains a NUL character"
            : undefined;
  if (problem === undefined) return name;
  throw new GatewayConfigError(
    `gateway name ${JSON.stringify(name)} from ${from} ${problem}: a gateway name must be a single folder name ` +
      `under gateways/ (letters, digits, '-', '_', '.').`,
    { source: from },
  );
}
