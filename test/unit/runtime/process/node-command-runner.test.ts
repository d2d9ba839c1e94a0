import { describe, expect, it } from "vitest";
import { CanceledError, TimeoutError } from "../../../../src/errors.js";
import { NodeCommandRunner } from "../../../../src/runtime/process/node-command-runner.js";

// The real runner is plain node:child_process, so it is tested here with `node` itself.
const node = process.execPath;
const runner = new NodeCommandRunner();

describe("NodeCommandRunner.run", () => {
  it("returns exit code, stdout and stderr, with stdin written and closed", async () => {
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write('got '+s);process.stderr.write('err');process.exit(4)})";
    await expect(runner.run(node, ["-e", script], { stdin: "hello" })).resolves.toEqual({
      exitCode: 4,
      stdout: "got hello",
      stderr: "err",
    });
  });

  it("passes arguments as they are, without a shell", async () => {
    const result = await runner.run(node, [
      "-e",
      "console.log(JSON.stringify(process.argv.slice(1)))",
      "$HOME",
      "a b;c",
    ]);
    expect(JSON.parse(result.stdout)).toEqual(["$HOME", "a b;c"]);
  });

  it("kills the command on timeout and on abort", async () => {
    const forever = ["-e", "setInterval(()=>{},1000)"];
    await expect(runner.run(node, forever, { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const running = runner.run(node, forever, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toBeInstanceOf(CanceledError);
    await expect(runner.run(node, forever, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CanceledError,
    );
  });

  it("rejects with ENOENT when the command does not exist, by path or on PATH", async () => {
    await expect(runner.run("/nonexistent/container", ["--version"])).rejects.toMatchObject({
      code: "ENOENT",
    });
    await expect(runner.run("openshell-no-such-program", [], { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("reports a signal death as 128 + the signal's number", async () => {
    const result = await runner.run(node, ["-e", "process.kill(process.pid,'SIGKILL')"]);
    expect(result.exitCode).toBe(137);
  });
});

describe("NodeCommandRunner.spawn", () => {
  it("streams output, takes stdin and settles exit after the output", async () => {
    const child = runner.spawn(node, [
      "-e",
      "process.stdin.pipe(process.stdout);process.stdin.on('end',()=>process.exit(2))",
    ]);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stdin.end("echo me");
    await expect(child.exit).resolves.toBe(2);
    expect(out).toBe("echo me");
  });

  it("kills on request", async () => {
    const child = runner.spawn(node, ["-e", "setInterval(()=>{},1000)"]);
    child.stdout.resume();
    child.stderr.resume();
    child.kill("SIGKILL");
    await expect(child.exit).resolves.toBe(137);
    child.kill(); // after exit: nothing happens
  });

  it("rejects exit when the command cannot start", async () => {
    const child = runner.spawn("/nonexistent/container", ["logs", "web"]);
    await expect(child.exit).rejects.toMatchObject({ code: "ENOENT" });
  });
});
