import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { validate } from "../../validation/validate.js";
import type { HostIsolation } from "./egress-isolation.js";
import type { HostAliasTarget } from "./host-alias.js";

/** The local gateway's options about egress and its host, as `OpenShell.local()` takes them. */
export interface EgressOptions {
  hostIsolation?: HostIsolation;
  egressHosts?: Readonly<Record<string, string>>;
  hostAlias?: HostAliasTarget;
  egressTrustedCertificates?: readonly string[];
}

/** Whether `text` holds one or more PEM certificates, each of which parses. */
function isPemCertificates(text: string): boolean {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  if (blocks === null) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

const hostName = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .regex(/^[^\s/:@[\]]+$/, "must be a host name (no spaces, ports, paths or brackets)");

// The rest of the options are the runtime's and the gateway's own: checked where they are used.
const egressOptionsSchema = z.looseObject({
  hostIsolation: z.enum(["require", "best-effort"]).optional(),
  // An address, not a name: the proxy connects to what it is given, and a name would be looked up
  // again, past the checks made on the address.
  egressHosts: z
    .record(hostName, z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" }))
    .optional(),
  hostAlias: z.enum(["host-gateway", "loopback"]).optional(),
  egressTrustedCertificates: z
    .array(
      z.string().refine(isPemCertificates, {
        message: "must be PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
      }),
    )
    .optional(),
});

/** Checks the egress options before anything is made; the error names the field. */
export function validateEgressOptions(options: EgressOptions): void {
  validate(egressOptionsSchema, options, "options");
}
