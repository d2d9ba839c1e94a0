import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../../../src/errors.js";
import {
  assembleTrustBundle,
  findImageCaBundle,
  holdsCertificate,
  IMAGE_CA_BUNDLE_PATHS,
} from "../../../../src/local/network/image-ca-bundle.js";
import { readImageFile } from "../../../../src/local/sandboxes/image-archive-file.js";
import type { ArchiveStream } from "../../../../src/runtime/archive-types.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../fixtures/images/ca-bundle/${name}`, import.meta.url));
const LINK_TARGET = "/usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt";

/**
 * An engine's archive API over recorded answers: each path it holds answers with its archive,
 * every other path is NotFoundError, as both engines answer 404. `asked` lists the paths asked for.
 */
function engine(archives: Record<string, Buffer>) {
  const asked: string[] = [];
  const runtime = {
    async getArchive(_id: string, options: { path: string }): Promise<ArchiveStream> {
      asked.push(options.path);
      const archive = archives[options.path];
      if (archive === undefined) throw new NotFoundError(`no such file in the container: ${options.path}`);
      return Readable.from([archive]) as ArchiveStream;
    },
  };
  const read = (path: string) =>
    readImageFile(runtime, "c1", path, { maxBytes: 4 * 1024 * 1024, signal: new AbortController().signal });
  return { read, asked };
}

const certificate = fixture("file-docker.tar")
  .subarray(512, 512 + 2772)
  .toString("utf8");

describe("findImageCaBundle", () => {
  it("follows Docker's symlink entry to the file, as Fedora's bundle path is a link", async () => {
    const { read, asked } = engine({
      "/etc/pki/tls/certs/ca-bundle.crt": fixture("link-docker.tar"),
      [LINK_TARGET]: fixture("file-docker.tar"),
    });
    const found = await findImageCaBundle(read);
    expect(found).toEqual({ found: true, path: "/etc/pki/tls/certs/ca-bundle.crt", text: certificate });
    expect(asked).toEqual([
      "/etc/ssl/certs/ca-certificates.crt",
      "/etc/pki/tls/certs/ca-bundle.crt",
      LINK_TARGET,
    ]);
  });

  it("takes Podman's answer for a link, the file itself under the link's name, in one call", async () => {
    const { read, asked } = engine({ "/etc/ssl/cert.pem": fixture("link-podman.tar") });
    const found = await findImageCaBundle(read);
    expect(found).toMatchObject({ found: true, path: "/etc/ssl/cert.pem" });
    expect(found.found && found.text).toBe(certificate);
    expect(asked).toEqual([...IMAGE_CA_BUNDLE_PATHS.slice(0, 3)]);
  });

  it("takes the first path in order when several exist (Debian's before Alpine's cert.pem)", async () => {
    const { read } = engine({
      "/etc/ssl/certs/ca-certificates.crt": fixture("file-podman.tar"),
      "/etc/ssl/cert.pem": fixture("file-docker.tar"),
    });
    expect(await findImageCaBundle(read)).toMatchObject({
      found: true,
      path: "/etc/ssl/certs/ca-certificates.crt",
    });
  });

  it("passes over a dangling link and says why it passed over a path that is no file", async () => {
    const { read } = engine({
      // A link whose target the image lacks: the next path is looked at.
      "/etc/ssl/certs/ca-certificates.crt": fixture("link-docker.tar"),
      "/etc/ssl/ca-bundle.pem": fixture("file-docker.tar"),
    });
    expect(await findImageCaBundle(read)).toMatchObject({ found: true, path: "/etc/ssl/ca-bundle.pem" });
    const cut = engine({ "/etc/ssl/cert.pem": fixture("file-docker.tar").subarray(0, 600) });
    expect(await findImageCaBundle(cut.read)).toEqual({
      found: false,
      skipped: ["/etc/ssl/cert.pem could not be read: the archive is cut short"],
    });
  });

  it("finds none in an image without any of the paths (busybox)", async () => {
    const { read, asked } = engine({});
    expect(await findImageCaBundle(read)).toEqual({ found: false, skipped: [] });
    expect(asked).toEqual([...IMAGE_CA_BUNDLE_PATHS]);
  });

  it("passes over a file that holds no certificate, so an empty placeholder hides nothing", async () => {
    const reads: Record<string, string> = {
      "/etc/ssl/certs/ca-certificates.crt": "",
      "/etc/pki/tls/certs/ca-bundle.crt": certificate,
    };
    const found = await findImageCaBundle(async (path) =>
      reads[path] === undefined ? { kind: "missing" } : { kind: "file", text: reads[path] as string },
    );
    expect(found).toEqual({ found: true, path: "/etc/pki/tls/certs/ca-bundle.crt", text: certificate });
  });
});

describe("assembleTrustBundle", () => {
  const ca = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----";

  it("puts the image's roots first, as the image has them, then the CA, newline-terminated", () => {
    expect(assembleTrustBundle(certificate, ca)).toBe(`${certificate}${ca}\n`);
    expect(assembleTrustBundle("# a comment\nroots-without-newline", `${ca}\n`)).toBe(
      `# a comment\nroots-without-newline\n${ca}\n`,
    );
  });

  it("is the CA alone without roots", () => {
    expect(assembleTrustBundle(undefined, ca)).toBe(`${ca}\n`);
    expect(holdsCertificate(assembleTrustBundle(undefined, ca))).toBe(true);
    expect(holdsCertificate("# no certificates here\n")).toBe(false);
  });
});
