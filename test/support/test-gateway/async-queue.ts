// The gateway-side queue lives with the local gateway; the test gateway uses the same one.
export { AsyncQueue } from "../../../src/local/streams/async-queue.js";
