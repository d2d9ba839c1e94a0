/**
 * `openshell/raw`: the generated Connect service descriptors and protobuf message types, exactly as
 * `buf generate` writes them from `proto/`.
 *
 * Reach for this entry point only for what the curated API (`openshell`) has not wrapped yet: a
 * gateway call without a method on the client, a message field the SDK does not surface, or a
 * hand-built `createClient(OpenShell, transport)`. Nothing here validates input, resolves names to
 * ids, retries or maps errors; these are the wire types, and they follow the `.proto` files rather
 * than the SDK's semver promises about naming.
 *
 * Contents:
 * - `OpenShell`: the gateway service, every RPC of the gateway contract: sandboxes, exec, forward,
 *   logs, policy, providers, workload templates, service endpoints, workspaces, provider profiles
 *   and credential refresh, the policy advisor (draft policy), settings, and the calls the
 *   in-sandbox supervisor makes (ConnectSupervisor, RelayStream, PushSandboxLogs, sandbox tokens).
 * - `Inference`: the inference-route service (and the supervisor's GetInferenceBundle).
 * - every message `...Schema` (for `create`, `toBinary`, `fromJson`, ... from `@bufbuild/protobuf`),
 *   its message type, and every enum with its `...Schema`, from the OpenShell, inference, sandbox
 *   and datamodel packages.
 *
 * @packageDocumentation
 */

// The generated files share no exported name, so plain star re-exports are unambiguous; if a
// new proto introduces a clash, TypeScript reports it here and it must be resolved by name.
export * from "./gen/openshell/datamodel/v1/datamodel_pb.js";
export * from "./gen/openshell/inference/v1/inference_pb.js";
export * from "./gen/openshell/sandbox/v1/sandbox_pb.js";
export * from "./gen/openshell/v1/openshell_pb.js";
export * from "./gen/openshell/v1/policy_advisor_pb.js";
export * from "./gen/openshell/v1/provider_profiles_pb.js";
export * from "./gen/openshell/v1/services_pb.js";
export * from "./gen/openshell/v1/workspaces_pb.js";
