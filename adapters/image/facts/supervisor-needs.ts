/**
 * What OpenShell's in-sandbox supervisor looks for in an image (the gateway's rules, SEMANTICS.md
 * section 9), in one place for inspection and preparation alike.
 */

/** Where the supervisor looks for `ip`, in order; an iproute2 `ip` elsewhere is not found. */
export const SUPERVISOR_IP_PATHS = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] as const;

/** The PATH entries the supervisor needs (it runs `ip` and `nsenter` by name), in the order preparation appends them. */
export const SBIN_DIRECTORIES = ["/usr/sbin", "/sbin"] as const;

/** The user and group sandboxes run as by default, by name. */
export const SANDBOX_ACCOUNT = "sandbox";

/** The home directory preparation gives the `sandbox` user (the gateway's default workdir). */
export const SANDBOX_HOME = "/sandbox";
