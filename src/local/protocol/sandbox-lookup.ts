import { requiredField } from "./required-field.js";
import { workspaceOf } from "./validation.js";

/** What the lookups need of a sandbox directory (the live manager, or a test's fake). */
interface ByName<S> {
  byName(name: string, workspace: string): S;
}
interface ById<S> {
  byId(id: string): S;
}

/**
 * The sandbox a name-keyed call names (SEMANTICS.md section 2), in its workspace (empty = `default`).
 *
 * @param field the request field that holds the name, for the error (`name`, `sandbox_name`).
 * @throws ConnectError INVALID_ARGUMENT "<field> is required" for an empty name, NOT_FOUND when no
 *   sandbox has it.
 */
export function sandboxByName<S>(sandboxes: ByName<S>, name: string, workspace: string, field = "name"): S {
  return sandboxes.byName(requiredField(name, field), workspaceOf(workspace));
}

/**
 * The sandbox an id-keyed call names (`metadata.id`).
 *
 * @param field the request field that holds the id, for the error (`sandbox_id`, `id`).
 * @throws ConnectError INVALID_ARGUMENT "<field> is required" for an empty id, NOT_FOUND when no
 *   sandbox has it.
 */
export function sandboxById<S>(sandboxes: ById<S>, id: string, field = "sandbox_id"): S {
  return sandboxes.byId(requiredField(id, field));
}
