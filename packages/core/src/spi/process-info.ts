import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Who a process is, in a form another process can check later: a pid alone is ambiguous once the
 * kernel reuses it, so Linux's start time (clock ticks since boot, /proc/PID/stat field 22) and
 * the boot id pin it to one incarnation.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot; "" where /proc is unavailable. */
  readonly start: string;
  /** Kernel boot id; "" where unavailable. */
  readonly boot: string;
  readonly host: string;
  /** The pid namespace ("pid:[4026531836]"): a pid means nothing across containers. */
  readonly ns: string;
}

function readStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { state: rest[0] ?? "", start: rest[19] ?? "" };
}

function readBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
  } catch {
    return "";
  }
}

function readPidNamespace(): string {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return "";
  }
}

const hasProc = readStat(process.pid) !== undefined;

export const SELF: ProcessIdentity = Object.freeze({
  pid: process.pid,
  start: readStat(process.pid)?.start ?? "",
  boot: readBootId(),
  host: hostname(),
  ns: readPidNamespace(),
});

export type Liveness = "alive" | "dead" | "unknown";

/** Whether the process that wrote an identity still runs. "unknown" for another machine. */
export function liveness(who: { pid?: unknown; start?: unknown; boot?: unknown; host?: unknown; ns?: unknown }): Liveness {
  if (typeof who.pid !== "number" || !Number.isInteger(who.pid) || who.pid <= 0) return "unknown";
  if (who.host !== SELF.host) return "unknown";
  if (typeof who.ns === "string" && who.ns !== SELF.ns) return "unknown";
  // Same host, another boot: every process of that boot is gone.
  if (typeof who.boot === "string" && who.boot !== "" && SELF.boot !== "" && who.boot !== SELF.boot) return "dead";
  if (hasProc) {
    const stat = readStat(who.pid);
    if (stat === undefined) return "dead";
    // A zombie has exited; only its parent has not reaped it yet.
    if (stat.state === "Z" || stat.state === "X") return "dead";
    if (typeof who.start === "string" && who.start !== "" && stat.start !== who.start) return "dead";
    return "alive";
  }
  try {
    process.kill(who.pid, 0);
    return "alive";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH" ? "dead" : "alive";
  }
}

/** Whether a pid/start pair taken from a temporary file's name belongs to a process that is gone. */
export function isGone(pid: number, start: string): boolean {
  return liveness({ pid, start, host: SELF.host, boot: SELF.boot, ns: SELF.ns }) === "dead";
}
