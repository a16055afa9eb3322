import { mkdirSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { CorruptError } from "@statehouse/core";
import { DIR_MODE, writeNewFile } from "./atomic-file.js";
import type { Layout } from "./layout.js";
import { mapEngineError } from "./map-engine-error.js";

function quarantinePath(layout: Layout, file: string, content: Buffer | undefined): string {
  const flat = relative(layout.root, file).split(/[\\/]/).join("__");
  const tag = content === undefined ? Date.now().toString(36) : crc32(content).toString(16).padStart(8, "0");
  return join(layout.quarantineDir, `${flat}.${tag}.corrupt`);
}

/** Moves a corrupt file aside (it is about to be replaced by its good copy). Returns where it went. */
export function moveToQuarantine(layout: Layout, file: string, content: Buffer | undefined): string {
  makeQuarantineDir(layout);
  const target = quarantinePath(layout, file, content);
  try {
    renameSync(file, target);
  } catch (err) {
    // Another process quarantined it first: the evidence is there already.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw mapEngineError(err, `moving ${file} to ${target}`);
  }
  return target;
}

function makeQuarantineDir(layout: Layout): void {
  try {
    mkdirSync(layout.quarantineDir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw mapEngineError(err, `creating ${layout.quarantineDir}`);
  }
}

/**
 * Copies a corrupt file aside and leaves it in place: with no good copy to restore, removing it
 * would turn a loud failure into a silent loss. Identical contents share one quarantine file.
 */
export function copyToQuarantine(layout: Layout, file: string, content: Buffer): string {
  makeQuarantineDir(layout);
  const target = quarantinePath(layout, file, content);
  try {
    writeNewFile(target, content, false);
  } catch (err) {
    throw mapEngineError(err, `copying ${file} to ${target}`);
  }
  return target;
}

export function corruptError(
  file: string,
  quarantined: string,
  problem: string,
  recovered: boolean,
  extra: Record<string, unknown> = {},
): CorruptError {
  const outcome = recovered
    ? "it was restored from its last good copy; retry the operation"
    : "no good copy exists; run check({ repair: true }) (statehouse doctor) to accept the loss";
  return new CorruptError(`corrupt store file ${file}: ${problem}; quarantined as ${quarantined}; ${outcome}`, {
    details: { file, quarantined, problem, recovered, ...extra },
  });
}
