import { spawnSync } from "node:child_process";
import { constants } from "node:fs";
import type { AdapterCapabilities } from "@statehouse/core";
import { loadOpen } from "./domain-api.js";
import { CHILD_SCRIPT } from "./harness/child-process.js";
import type { Requirement } from "./suite-context.js";
import { removeDir, tempDir } from "./testing/temp-dir.js";

function capability(name: keyof AdapterCapabilities, why: string): Requirement {
  return (caps) => (caps[name] === true ? undefined : `the adapter declares capabilities.${name} = false: ${why}`);
}

export const requires = {
  multiProcess: capability("multiProcess", "its store lives in one process, so no other process can open it"),
  persistent: capability("persistent", "its data does not outlive close(), so there is nothing to reopen"),
  filesystem: capability("filesystem", "its store is not made of files, so file modes, paths and disk faults do not apply"),
  compaction: capability("compaction", "it has no compact()"),
  corruptionRecovery: capability("corruptionRecovery", "it does not detect and recover from corruption"),
  check: ((_caps, probe) =>
    probe.hasCheck
      ? undefined
      : `the ${probe.kind} adapter has no check() (optional unless it declares corruptionRecovery)`) as Requirement,
  transactGroup: ((_caps, probe) =>
    probe.hasTransactGroup
      ? undefined
      : `the ${probe.kind} adapter has no transactGroup() (optional: group commit then falls back to one transact per member)`) as Requirement,
  domain: (async () =>
    (await loadOpen()) === undefined
      ? "this @statehouse/core does not export open(): it has no domain API to test"
      : undefined) as Requirement,
  root: ((): string | undefined =>
    process.getuid?.() === 0
      ? undefined
      : `the test runs as uid ${process.getuid?.()}, not root: only root can mount a tmpfs or drop to another user`) as Requirement,
  tmpfsMount: (() => tmpfsMountProblem()) as Requirement,
  dropToNobody: (() => dropToNobodyProblem()) as Requirement,
};

function commandProblem(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10_000 });
  if (r.error !== undefined) return `${cmd} cannot run here (${r.error.message})`;
  if (r.status !== 0) return `\`${cmd} ${args.join(" ")}\` failed with status ${r.status}: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

let tmpfsCache: string | undefined | null = null;

/** Mounting needs root and a kernel/container that allows private mount namespaces: tried once for real. */
function tmpfsMountProblem(): string | undefined {
  if (tmpfsCache !== null) return tmpfsCache;
  const dir = tempDir("mount-probe").dir;
  try {
    const problem = commandProblem("unshare", [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount -t tmpfs -o size=1m tmpfs "$1" && mount -o remount,size=2m "$1"',
      "sh",
      dir,
    ]);
    tmpfsCache = problem === undefined ? undefined : `cannot mount a tmpfs in a private mount namespace: ${problem}`;
  } finally {
    removeDir(dir);
  }
  return tmpfsCache;
}

let nobodyCache: string | undefined | null = null;

/** The child script and its modules must be readable by uid 65534, or there is nothing to run as that user. */
function dropToNobodyProblem(): string | undefined {
  if (nobodyCache !== null) return nobodyCache;
  const problem = commandProblem("setpriv", [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    process.execPath,
    "-e",
    `require("fs").accessSync(${JSON.stringify(CHILD_SCRIPT)}, ${constants.R_OK})`,
  ]);
  nobodyCache = problem === undefined ? undefined : `cannot run the child script as uid 65534 (nobody): ${problem}`;
  return nobodyCache;
}
