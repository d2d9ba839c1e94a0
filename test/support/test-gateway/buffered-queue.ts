// The gateway-side queue lives with the local gateway; the test gateway uses the same one.
export { BufferedQueue } from "../../../src/local/streams/buffered-queue.js";
