/**
 * Runs a benchmark's `main` and then its `cleanup`, also when `main` fails (the exit code is then 1)
 * and when the run is interrupted (SIGINT, SIGTERM: cleanup, then exit 130), so that no container,
 * sandbox or gateway of the benchmark outlives it.
 */
export function runBench(main: () => Promise<void>, cleanup: () => Promise<void>): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => cleanup());
}
