import { describe, expect, it } from "vitest";
import { upstreamUrl } from "../../../../src/local/inference/upstream-url.js";

function mapped(base: string, target: string): string {
  return upstreamUrl(new URL(base), target).href;
}

describe("upstreamUrl", () => {
  it("treats request paths as relative to the API root, never doubling its version", () => {
    expect(mapped("http://127.0.0.1:9/v1", "/v1/chat/completions")).toBe(
      "http://127.0.0.1:9/v1/chat/completions",
    );
    expect(mapped("http://127.0.0.1:9/v1", "/chat/completions")).toBe(
      "http://127.0.0.1:9/v1/chat/completions",
    );
    expect(mapped("https://api.anthropic.com/v1", "/v1/messages")).toBe(
      "https://api.anthropic.com/v1/messages",
    );
    expect(mapped("https://api.openai.com/v1", "/v1")).toBe("https://api.openai.com/v1");
  });

  it("keeps a version the base does not carry", () => {
    expect(mapped("http://127.0.0.1:11434", "/v1/chat/completions")).toBe(
      "http://127.0.0.1:11434/v1/chat/completions",
    );
    expect(mapped("https://api.example/v1", "/v2/rerank")).toBe("https://api.example/v1/v2/rerank");
  });

  it("drops the request's version when it stands anywhere in the base path", () => {
    expect(mapped("https://api.deepinfra.com/v1/openai", "/v1/chat/completions")).toBe(
      "https://api.deepinfra.com/v1/openai/chat/completions",
    );
    expect(mapped("https://api.groq.com/openai/v1", "/v1/models")).toBe(
      "https://api.groq.com/openai/v1/models",
    );
  });

  it("keeps the query and accepts absolute-form targets", () => {
    expect(mapped("http://127.0.0.1:9/v1", "http://inference.local/v1/models?limit=2")).toBe(
      "http://127.0.0.1:9/v1/models?limit=2",
    );
  });

  it("never climbs out of the base path", () => {
    expect(mapped("http://127.0.0.1:9/v1/openai", "/v1/../../admin")).toBe(
      "http://127.0.0.1:9/v1/openai/admin",
    );
    expect(mapped("http://127.0.0.1:9/v1/openai", "/%2e%2e/%2e%2e/admin")).toBe(
      "http://127.0.0.1:9/v1/openai/admin",
    );
  });
});
