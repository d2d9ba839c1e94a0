/**
 * The demo's gateway until local mode lands: the scripted test gateway on 127.0.0.1 with mTLS,
 * registered under `<config root>/gateways/demo/` the way the openshell CLI registers a gateway, so
 * the example finds it with plain `OpenShell.connect()`. Sandboxes are host processes.
 *
 *   node loopback-gateway.js <config root>     prints "ready <endpoint>", runs until SIGTERM
 */
import { setActiveGateway, writeGatewayConfig } from "../../test/support/certs.js";
import { startTestGateway } from "../../test/support/test-gateway/index.js";

const root = process.argv[2];
if (!root) {
  console.error("usage: loopback-gateway <config root>");
  process.exit(2);
}
const gateway = await startTestGateway();
writeGatewayConfig(root, "demo", {
  endpoint: gateway.endpoint,
  ca: gateway.ca,
  cert: gateway.client.cert,
  key: gateway.client.key,
});
setActiveGateway(root, "demo");
console.log(`ready ${gateway.endpoint}`);

const stop = async () => {
  await gateway.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
