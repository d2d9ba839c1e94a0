import { ModelAccessError } from "../errors.js";
import type { EgressHost } from "./egress-host.js";

/** A Model's `endpoint.baseUrl`, checked: where the agent's requests go. */
export interface ModelEndpoint {
  /** The URL as given, without a trailing slash. */
  url: string;
  /** Its host and port (443 for https, 80 for http unless it names one). */
  egress: EgressHost;
}

const FIELD = "model.spec.endpoint.baseUrl";

const HOST = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function invalid(why: string): never {
  // The value is never quoted: a mistyped one may hold a pasted key.
  throw new ModelAccessError("InvalidModelEndpoint", `${FIELD} ${why}`, { field: FIELD });
}

/**
 * Checks a Model's base URL: an http(s) URL to a DNS name or IPv4 address, without a user name or
 * password (it reaches the sandbox's environment, where no secret may go).
 *
 * @throws ModelAccessError `InvalidModelEndpoint` naming the field, never quoting the value.
 */
export function parseModelEndpoint(baseUrl: string): ModelEndpoint {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return invalid("is not a URL: set it to the API root, for example https://llm.example.com/v1");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    invalid(`has scheme "${url.protocol}": set an http:// or https:// URL`);
  }
  if (url.username !== "" || url.password !== "") {
    invalid(
      "carries a user name or password: remove them, and give the credentials through the adapter's environment (deployment.spec.runtimeConfig.credentialEnv)",
    );
  }
  if (!HOST.test(url.hostname)) {
    invalid("must name a DNS host or IPv4 address, which the agent's egress policy can allow");
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  return { url: url.href.replace(/\/+$/, ""), egress: { host: url.hostname, port } };
}
