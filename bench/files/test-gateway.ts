/**
 * Part 2: `sb.files` against the scripted test gateway over mTLS on loopback (in a child process,
 * see test-gateway-child.ts), beside an exec that streams the same file to stdout (`cat`), the path
 * the file API rides on. Its sandboxes are host processes, so the files land on this host's disk.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "../../src/index.js";
import { drainStdout, expectSize, type FileToMove, fileSha256, MiB, timeTransfer } from "./measure.js";
import { alternate, record, type Samples } from "./samples.js";
import { startGatewayChild } from "./test-gateway-child.js";

export async function benchTestGateway(
  file: FileToMove,
  warmup: FileToMove,
  rounds: number,
  localDir: string,
  closers: (() => Promise<unknown>)[],
): Promise<Samples> {
  const gateway = await startGatewayChild();
  closers.unshift(() => gateway.close());
  const home = mkdtempSync(join(tmpdir(), "openshell-bench-files-"));
  const os = await OpenShell.connect({
    endpoint: gateway.endpoint,
    tls: { ca: gateway.ca, cert: gateway.cert, key: gateway.key },
    env: {},
    homeDir: home,
  });
  closers.unshift(async () => {
    os.close();
    rmSync(home, { recursive: true, force: true });
  });
  const sb = await os.sandboxes.create({ name: `bench-files-${process.pid}`, command: ["sleep", "3600"] });
  await sb.ready({ timeoutMs: 60_000 });
  // The sandbox's own folder on the host, where its commands start.
  const dir = (await sb.exec(["pwd"], { noLoginShell: true })).stdout.trim();
  const remote = `${dir}/bench.bin`;
  const down = join(localDir, "down-gateway.bin");
  const upload = (from: FileToMove) => async () => void (await sb.files.upload(from.path, remote));
  const download = async () => void (await sb.files.download(remote, down));

  await upload(warmup)();
  await download();
  await drainStdout(sb, ["cat", remote], warmup.bytes);

  const samples: Samples = new Map();
  const n = file.bytes;
  for (let round = 0; round < rounds; round++) {
    await sb.exec(["rm", "-f", remote], { noLoginShell: true });
    await rm(down, { force: true });
    record(samples, `upload ${n / MiB} MiB`, "sdk", await timeTransfer(n, upload(file)));
    // The download and the plain exec read the same file; which goes first alternates.
    await alternate(samples, round, [
      [`download ${n / MiB} MiB`, "sdk", () => timeTransfer(n, download)],
      [
        `exec stdout (cat) ${n / MiB} MiB`,
        "sdk",
        () => timeTransfer(n, () => drainStdout(sb, ["cat", remote], n)),
      ],
    ]);
    await expectSize(down, n, "test gateway download");
  }
  if ((await fileSha256(down)) !== file.sha256) throw new Error(`${down} differs from ${file.path}`);
  await sb.exec(["rm", "-f", remote], { noLoginShell: true });
  await sb.delete();
  await closers.shift()?.();
  await closers.shift()?.();
  return samples;
}
