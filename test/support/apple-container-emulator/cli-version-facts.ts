/** The CLI releases the emulator answers as. */
export type EmulatedVersion = "1.1.0" | "0.12.3";

/** What differs between the emulated releases (docs/runtimes/apple-container.md has the sources). */
export interface VersionFacts {
  version: EmulatedVersion;
  /** The tag's git commit: 1.1.0's in full; for 0.12.3 only the first 7 digits are known (padded). */
  commit: string;
  /** 1.0.0 on: `{id, configuration, status: {...}}` records, ISO dates, sorted keys, pretty inspect. */
  modern: boolean;
  /** 1.1.0 on: container attachments carry `variant`. */
  attachmentVariant: boolean;
}

export function versionFacts(version: EmulatedVersion): VersionFacts {
  switch (version) {
    case "1.1.0":
      return {
        version,
        commit: "5973b9cc626a3e7a499bb316a958237ebe14e2ed",
        modern: true,
        attachmentVariant: true,
      };
    case "0.12.3":
      return {
        version,
        commit: "f989901000000000000000000000000000000000",
        modern: false,
        attachmentVariant: false,
      };
  }
}

/** `container --version`: the version, then build and commit (7 digits) sorted by name. */
export function versionBanner(facts: VersionFacts, program = "container CLI"): string {
  return `${program} version ${facts.version} (build: release, commit: ${facts.commit.slice(0, 7)})`;
}
