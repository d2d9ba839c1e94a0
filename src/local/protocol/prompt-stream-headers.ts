import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";

/** The response headers and trailers of one streaming call, as its handler context holds them. */
interface StreamMetadata {
  header: Headers;
  trailer: Headers;
}

type Announce = (metadata: StreamMetadata) => void;

const announceKey = createContextKey<Announce | undefined>(undefined, {
  description: "openshell: announce a stream's response headers",
});

type AnyImpl = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * connect-es answers a streaming call only when the handler yields its first message: until then no
 * response headers leave the server. A command that prints nothing for a minute, or a forwarded port
 * that says nothing until spoken to, would look like a gateway that never answered the call, and a
 * client that bounds the time to an answer (the SDK's `timeouts.handshakeTimeoutMs`; upstream's
 * gateway answers every stream at once) would give up on a healthy call.
 *
 * The returned routes answer every streaming call at once instead: the status and the very headers
 * the handler context holds go out as soon as the handler starts, then its messages and trailers as
 * usual. A call that fails before its handler starts (a bad content type, a missing request message)
 * is answered as connect-es answers it; unary calls are untouched.
 */
export function promptStreamHeaders(
  routes: (router: ConnectRouter) => void,
): (router: ConnectRouter) => void {
  return (router) => {
    const before = router.handlers.length;
    const announcing: ConnectRouter = {
      handlers: router.handlers,
      service(service, implementation, options) {
        router.service(service, announcingService(service, implementation), options);
        return announcing;
      },
      rpc(method, impl, options) {
        router.rpc(method, announcingMethod(method, impl as AnyImpl) as typeof impl, options);
        return announcing;
      },
    };
    routes(announcing);
    for (let i = before; i < router.handlers.length; i++) {
      const handler = router.handlers[i];
      if (handler && handler.method.methodKind !== "unary") router.handlers[i] = answerAtOnce(handler);
    }
  };
}

function announcingService<T extends object>(service: DescService, implementation: T): T {
  const wrapped = { ...implementation } as Record<string, unknown>;
  for (const method of service.methods) {
    const impl = wrapped[method.localName];
    if (typeof impl === "function") wrapped[method.localName] = announcingMethod(method, impl as AnyImpl);
  }
  return wrapped as T;
}

/** A streaming method's implementation that first hands its context's headers to `answerAtOnce`. */
function announcingMethod(method: DescMethod, impl: AnyImpl): AnyImpl {
  if (method.methodKind === "unary") return impl;
  return (input, ctx) => {
    ctx.values.get(announceKey)?.({ header: ctx.responseHeader, trailer: ctx.responseTrailer });
    return impl(input, ctx);
  };
}

function answerAtOnce(handler: UniversalHandler): UniversalHandler {
  const answered = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    let announce: Announce = () => {};
    const started = new Promise<StreamMetadata>((resolve) => {
      announce = resolve;
    });
    const values = req.contextValues ?? createContextValues();
    values.set(announceKey, announce);
    const full = handler({ ...req, contextValues: values });
    // Never left unhandled: a body nobody reads does not await it.
    full.catch(() => {});
    const first = await Promise.race([
      full.then((response) => ({ response })),
      started.then((metadata) => ({ metadata })),
    ]);
    if ("response" in first) return first.response;
    const { metadata } = first;
    let done: UniversalServerResponse | undefined;
    async function* body(): AsyncGenerator<Uint8Array, void, undefined> {
      // An empty first chunk: Node's adapter writes the response head before it, so the headers go now.
      yield new Uint8Array(0);
      done = await full;
      if (done.body) yield* done.body;
    }
    return {
      status: 200,
      header: metadata.header,
      body: body(),
      // Read after the body, once the handler's own response (with the call's status) is known.
      get trailer() {
        return done ? done.trailer : metadata.trailer;
      },
    };
  };
  return Object.assign(answered, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}
