import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import { localModeWorkloadTemplateMessage } from "../protocol/local-mode-hints.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/**
 * The handlers with CreateSandbox refusing `workload_template_name` (UNIMPLEMENTED, saying what to
 * do instead) before anything is made. The field is newer than local mode's sandbox handlers, which
 * would otherwise ignore it and create a sandbox from the request's own spec: a silent success
 * running something other than what the caller named.
 */
export function refusingWorkloadTemplates(handlers: Handlers): Handlers {
  const createSandbox = handlers.createSandbox;
  if (createSandbox === undefined) return handlers;
  return {
    ...handlers,
    createSandbox(req, context) {
      if (req.workloadTemplateName !== "") {
        throw new ConnectError(
          localModeWorkloadTemplateMessage(req.workloadTemplateName),
          Code.Unimplemented,
        );
      }
      return createSandbox(req, context);
    },
  };
}
