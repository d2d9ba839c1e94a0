import { connect } from "node:net";

/**
 * Sends `request` to 127.0.0.1:`port`, half-closes, and reads until the other side ends: what
 * `nc -N` does. Says how the connection ended (`end`, `error <message>`, or that nothing more came
 * within `ms`), with everything received.
 */
export async function halfCloseExchange(
  port: number,
  request: string,
  ms: number,
): Promise<{ reply: string; outcome: string }> {
  const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(`nothing more within ${ms} ms`), ms);
    socket.once("error", (err) => {
      clearTimeout(timer);
      resolve(`error ${err.message}`);
    });
    socket.once("end", () => {
      clearTimeout(timer);
      resolve("end");
    });
    socket.end(request);
  });
  socket.destroy();
  return { reply: Buffer.concat(received).toString(), outcome };
}
