// Running commands in a sandbox, three ways: buffered, streamed, and interactive (stdin, resize).
//
//   OPENSHELL_DEMO_BASE_IMAGE=busybox:1.36 node examples/local-exec.mjs
import { OpenShell } from "openshell";

const image = process.env.OPENSHELL_DEMO_BASE_IMAGE ?? "busybox:1.36";
const os = await OpenShell.local({ ephemeral: true });
try {
  // No command: local mode keeps the sandbox alive with a sleeping shell loop, ready for exec.
  // busybox runs as root, which sandboxes never do: the policy names a non-root user instead.
  const sb = await os.sandboxes.create({
    image,
    policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
  });
  await sb.ready({ timeoutMs: 60_000 });

  // Buffered: the whole output once the command has exited.
  const { exitCode, stdout, stderr } = await sb.exec(["sh", "-c", "echo out; echo err >&2; exit 3"], {
    env: { GREETING: "hello" },
    workdir: "/tmp",
  });
  console.log({ exitCode, stdout, stderr });

  // Streamed: chunks as they come, then the exit event. timeoutSeconds ends it with exit code 124.
  for await (const ev of sb.execStream(["sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.2; done"], {
    timeoutSeconds: 30,
  })) {
    if (ev.type === "exit") console.log("exit", ev.exitCode);
    else process.stdout.write(`${ev.type}: ${Buffer.from(ev.data).toString()}`);
  }

  // Interactive: write to stdin as you go, end it, and wait for the exit code.
  const session = await sb.execInteractive(["sh", "-c", 'while read line; do echo "you said: $line"; done']);
  const reading = (async () => {
    for await (const ev of session.events) {
      if (ev.type === "stdout") process.stdout.write(Buffer.from(ev.data).toString());
    }
  })();
  await session.write("first\n");
  await session.write("second\n");
  session.end();
  await reading;
  console.log("interactive exit", await session.wait());

  await sb.delete();
} finally {
  await os.close();
}
