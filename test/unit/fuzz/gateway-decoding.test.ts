import { runs } from "./fuzz-support.js";
import { describeGatewayDecoding } from "./gateway-decoding-suite.js";

// Liveness: every call settles in time with a status (never UNKNOWN) and the gateway keeps serving.
// The stricter statuses are in gateway-decoding-status.pending.ts until the gateway meets them.
describeGatewayDecoding("gateway-decoding", { runs: runs(20), strict: false });
