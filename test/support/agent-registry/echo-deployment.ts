import { randomUUID } from "node:crypto";
import { a2aAgentImage } from "../a2a-agent/image.js";

/** What a test deploys: the registry's JSON for a Deployment, its Agent and its Runtime. */
export interface EchoDeployment {
  deployment: {
    apiVersion: "ar.dev/v1alpha1";
    kind: "Deployment";
    metadata: { name: string; namespace: string; uid: string };
    spec: {
      targetRef: { kind: "Agent"; name: string; tag: string };
      runtimeRef: { kind: "Runtime"; name: string };
      desiredState: "deployed";
      env: Record<string, string>;
      runtimeConfig: Record<string, unknown>;
    };
  };
  target: {
    apiVersion: "ar.dev/v1alpha1";
    kind: "Agent";
    metadata: { name: string; namespace: string; tag: string };
    spec: { source: { image: string; protocol: "A2A" | "HTTP" }; modelProvider?: string; modelName?: string };
  };
  runtime: {
    apiVersion: "ar.dev/v1alpha1";
    kind: "Runtime";
    metadata: { name: string };
    spec: { type: "OpenShell"; config: { gateway: "local" } };
  };
}

/** Options of {@link echoDeployment}. */
export interface EchoDeploymentOptions {
  /** The deployment's name (a random `echo-<hex>` when omitted). */
  name?: string;
  /** `runtimeConfig` (the image's own CMD runs the agent on 8080 when `command` is absent). */
  runtimeConfig?: Record<string, unknown>;
  env?: Record<string, string>;
  image?: string;
  protocol?: "A2A" | "HTTP";
  /** The Agent's (deprecated but still set) model provider and model name. */
  model?: { provider: string; name: string };
}

/**
 * A Deployment of the echo agent image (test/support/a2a-agent) on the local gateway, with its
 * Agent and Runtime, in the registry's shapes (checked against openapi-subset.json by the tests).
 */
export function echoDeployment(options: EchoDeploymentOptions = {}): EchoDeployment {
  const name = options.name ?? `echo-${randomUUID().slice(0, 8)}`;
  return {
    deployment: {
      apiVersion: "ar.dev/v1alpha1",
      kind: "Deployment",
      metadata: { name, namespace: "adapter-tests", uid: randomUUID() },
      spec: {
        targetRef: { kind: "Agent", name: "echo", tag: "1.0.0" },
        runtimeRef: { kind: "Runtime", name: "openshell-local" },
        desiredState: "deployed",
        env: options.env ?? { ECHO_TEST: "1" },
        runtimeConfig: options.runtimeConfig ?? { port: 8080 },
      },
    },
    target: {
      apiVersion: "ar.dev/v1alpha1",
      kind: "Agent",
      metadata: { name: "echo", namespace: "adapter-tests", tag: "1.0.0" },
      spec: {
        source: { image: options.image ?? a2aAgentImage, protocol: options.protocol ?? "A2A" },
        ...(options.model ? { modelProvider: options.model.provider, modelName: options.model.name } : {}),
      },
    },
    runtime: {
      apiVersion: "ar.dev/v1alpha1",
      kind: "Runtime",
      metadata: { name: "openshell-local" },
      spec: { type: "OpenShell", config: { gateway: "local" } },
    },
  };
}
