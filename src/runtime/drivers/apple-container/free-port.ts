import { createSocket } from "node:dgram";
import { type AddressInfo, createServer, isIPv6 } from "node:net";

/**
 * A port that is free on `hostIp` right now: the OS hands one out for a throwaway socket, which is
 * closed again at once.
 */
export function pickFreePort(hostIp: string, protocol: "tcp" | "udp"): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (protocol === "udp") {
      const socket = createSocket(isIPv6(hostIp) ? "udp6" : "udp4");
      socket.once("error", reject);
      socket.bind(0, hostIp, () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once("error", reject);
    server.listen(0, hostIp, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
