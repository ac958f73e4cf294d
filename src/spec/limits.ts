/**
 * How much input kspec accepts from a repository it does not control. Every limit has a flag
 * (see ../cli/common-flags.ts) and a default well above what a real spec repository needs, so
 * that a hostile or broken file costs memory and time in proportion to the limits, not to what
 * the file asks for.
 */
export interface InputLimits {
  /** Bytes of one file; a larger file is an error for that file. */
  maxFileBytes: number;
  /** YAML documents in one file. */
  maxDocuments: number;
  /** Bytes of all YAML files read from one repository path together. */
  maxRepoBytes: number;
  /** Size of one YAML document once every alias and merge key is expanded. */
  maxExpandedBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: InputLimits = {
  maxFileBytes: 4 * MiB,
  maxDocuments: 1000,
  maxRepoBytes: 64 * MiB,
  maxExpandedBytes: 16 * MiB,
};

/** Limit flag names, as the CLI spells them (and the environment, as KSPEC_MAX_FILE_BYTES etc.). */
export const LIMIT_FLAGS: Record<keyof InputLimits, string> = {
  maxFileBytes: '--max-file-bytes',
  maxDocuments: '--max-documents',
  maxRepoBytes: '--max-repo-bytes',
  maxExpandedBytes: '--max-expanded-bytes',
};

const UNITS: Record<string, number> = { '': 1, k: 1000, kb: 1000, m: 1000 ** 2, mb: 1000 ** 2, g: 1000 ** 3, gb: 1000 ** 3, ki: 1024, kib: 1024, mi: MiB, mib: MiB, gi: 1024 * MiB, gib: 1024 * MiB };

/** `4MiB`, `500k`, `1048576` → bytes; undefined when the text is not a positive size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes as people read them: 4 MiB, 512 KiB, 100 B. */
export function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
