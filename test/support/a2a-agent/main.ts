/**
 * The echo agent as a program: the entry point of the bundle in the openshell-test/a2a-agent image
 * (scripts/engines.sh bundles it with esbuild, so the image needs only Node).
 *
 *   node /app/echo-agent.cjs [--port 8080] [--host 0.0.0.0] [--protocol 1.0|0.3|both] [--card-url URL]
 *
 * `PORT` in the environment is the default port. The card names `http://localhost:<port>/` unless
 * `--card-url` says otherwise: the address the agent sees of itself, as real agents' cards do.
 */
import { parseArgs } from "node:util";
import { type EchoProtocol, startEchoAgent } from "./echo-agent.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8080" },
    host: { type: "string", default: "0.0.0.0" },
    protocol: { type: "string", default: "1.0" },
    "card-url": { type: "string" },
  },
});
const port = Number(values.port);
const protocol = values.protocol as EchoProtocol;
if (!Number.isInteger(port) || port < 1 || port > 65_535 || !["1.0", "0.3", "both"].includes(protocol)) {
  console.error(
    "usage: echo-agent [--port 1-65535] [--host ADDRESS] [--protocol 1.0|0.3|both] [--card-url URL]",
  );
  process.exit(2);
}
const cardUrl = values["card-url"];
const agent = await startEchoAgent({
  protocol,
  host: values.host,
  port,
  cardUrl: (p) => cardUrl ?? `http://localhost:${p}/`,
  log: (line) => console.log(line),
});
console.log(`echo-agent: A2A ${protocol} on ${values.host}:${agent.port}, card names ${agent.cardUrl}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.log(`echo-agent: ${signal}, stopping`);
    void agent.close().then(() => process.exit(0));
  });
}
