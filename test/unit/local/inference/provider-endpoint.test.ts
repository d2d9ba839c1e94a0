import { describe, expect, it } from "vitest";
import { FailedPreconditionError } from "../../../../src/errors.js";
import {
  InferenceEndpointError,
  providerEndpoint,
  type StoredProvider,
} from "../../../../src/local/inference/provider-endpoint.js";

const KEY = "sk-test-0123456789";

function provider(type: string, credentials: Record<string, string>, config: Record<string, string> = {}) {
  return { type, credentials, config } satisfies StoredProvider;
}

function failure(p: StoredProvider): InferenceEndpointError {
  try {
    providerEndpoint(p);
  } catch (error) {
    if (error instanceof InferenceEndpointError) return error;
    throw error;
  }
  throw new Error("expected an InferenceEndpointError");
}

describe("providerEndpoint", () => {
  it("calls openai at its default root with a bearer key", () => {
    const endpoint = providerEndpoint(provider("openai", { OPENAI_API_KEY: KEY }));
    expect(endpoint.baseUrl.href).toBe("https://api.openai.com/v1");
    expect(endpoint.headers).toEqual({ authorization: `Bearer ${KEY}` });
    expect(endpoint.defaultHeaders).toEqual({});
  });

  it("takes the base URL from config, else from the credentials, without a trailing slash", () => {
    const fromConfig = providerEndpoint(
      provider("openai", { OPENAI_API_KEY: KEY }, { OPENAI_BASE_URL: "http://127.0.0.1:8000/v1/" }),
    );
    expect(fromConfig.baseUrl.href).toBe("http://127.0.0.1:8000/v1");
    const fromCredentials = providerEndpoint(
      provider("openai", { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: "https://llm.example/api/v1" }),
    );
    expect(fromCredentials.baseUrl.href).toBe("https://llm.example/api/v1");
    expect(fromCredentials.headers).toEqual({ authorization: `Bearer ${KEY}` });
  });

  it("calls nvidia and deepinfra at their documented roots", () => {
    expect(providerEndpoint(provider("nvidia", { NVIDIA_API_KEY: KEY })).baseUrl.href).toBe(
      "https://integrate.api.nvidia.com/v1",
    );
    const deepinfra = providerEndpoint(provider("deepinfra", { DEEPINFRA_TOKEN: KEY }));
    expect(deepinfra.baseUrl.href).toBe("https://api.deepinfra.com/v1/openai");
    expect(deepinfra.headers).toEqual({ authorization: `Bearer ${KEY}` });
  });

  it("calls anthropic with x-api-key and a default anthropic-version", () => {
    const endpoint = providerEndpoint(provider("anthropic", { ANTHROPIC_API_KEY: KEY }));
    expect(endpoint.baseUrl.href).toBe("https://api.anthropic.com/v1");
    expect(endpoint.headers).toEqual({ "x-api-key": KEY });
    expect(endpoint.defaultHeaders).toEqual({ "anthropic-version": "2023-06-01" });
  });

  it("prefers the profile's key name, then any other credential that is not a base URL", () => {
    const both = provider("openai", { A_KEY: "other-key-value", OPENAI_API_KEY: KEY });
    expect(providerEndpoint(both).headers.authorization).toBe(`Bearer ${KEY}`);
    const renamed = provider("openai", { OPENAI_BASE_URL: "http://127.0.0.1:1/v1", api_key: KEY });
    expect(providerEndpoint(renamed).headers.authorization).toBe(`Bearer ${KEY}`);
    expect(providerEndpoint(provider("openai", { OPENAI_API_KEY: ` ${KEY}\n` })).headers.authorization).toBe(
      `Bearer ${KEY}`,
    );
  });

  it("names the credential to set when there is no key", () => {
    const onlyUrl = failure(
      provider("openai", { OPENAI_BASE_URL: "http://127.0.0.1:1/v1", OPENAI_API_KEY: " " }),
    );
    expect(onlyUrl.problem).toBe("missing-credential");
    expect(onlyUrl.message).toBe(
      "this openai provider has no API key; set the credential OPENAI_API_KEY (providers.update)",
    );
  });

  it.each([
    ["aws-bedrock", /SigV4/],
    ["google-vertex-ai", /service account/],
    ["github", /not an inference provider type/],
    ["generic", /not an inference provider type/],
    ["constructor", /not an inference provider type/],
  ])("refuses type %s for inference.local in local mode", (type, why) => {
    const error = failure(provider(type, { TOKEN: KEY }));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.code).toBe("failed_precondition");
    expect(error.problem).toBe("unsupported-type");
    expect(error.message).toMatch(
      new RegExp(`^provider type "${type}" cannot be used for inference\\.local in local mode: `),
    );
    expect(error.message).toMatch(why);
    expect(error.message).toMatch(/route to a provider of type openai, anthropic, nvidia, deepinfra$/);
  });

  it.each([
    ["ftp://host/v1", /has scheme "ftp:"; inference\.local forwards only to http:\/\/ or https:\/\/ URLs/],
    ["file:///etc/passwd", /has scheme "file:"/],
    ["not a url sk-pasted-key-123", /is not a URL/],
    ["https://user:pw-secret-1@host/v1", /carries a user name or password/],
    ["https://host/v1?key=sk-in-query-123", /has a query or fragment/],
  ])("refuses base URL %s without quoting it", (baseUrl, why) => {
    const error = failure(provider("openai", { OPENAI_API_KEY: KEY }, { OPENAI_BASE_URL: baseUrl }));
    expect(error.problem).toBe("invalid-base-url");
    expect(error.message).toMatch(/^OPENAI_BASE_URL of this openai provider /);
    expect(error.message).toMatch(why);
    expect(error.message).not.toContain(baseUrl);
    expect(error.message).not.toMatch(/secret|sk-/);
  });
});
