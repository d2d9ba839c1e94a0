/**
 * A sandbox's main process that echoes every TCP connection on ECHO_PORT back to its sender: busybox
 * nc keeps listening (-ll) and runs one `cat` per connection, which ends when its input ends. What
 * the benchmarks forward to.
 */
export const ECHO_PORT = 9000;
export const ECHO_SERVER: readonly string[] = ["nc", "-ll", "-p", String(ECHO_PORT), "-e", "cat"];
