import { ConfigError } from "@statehouse/core";

/**
 * The test-only slowdown the gate is measured with: `STATEHOUSE_BENCH_INJECT_DELAY="state-update:0.2"`
 * makes every call of the operation `state-update` that the harness measures do 20 % more CPU work. It is
 * read by the benchmark harness only (never by product code), so it can prove that the regression
 * gate sees a known relative slowdown; it has no other use.
 */
export const INJECT_DELAY_ENV = "STATEHOUSE_BENCH_INJECT_DELAY";

/** Largest slowdown accepted (10 = 1,000 %): past it the value is a typo, not an experiment. */
const MAX_FRACTION = 10;

/**
 * Parses `op:fraction[,op:fraction…]` into operation → fraction (0.2 = 20 % longer). An empty or
 * missing value means no injection; anything malformed is a ConfigError naming the bad part.
 */
export function parseInjectDelay(value: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (value === undefined || value.trim() === "") return out;
  for (const part of value.split(",")) {
    const item = part.trim();
    const colon = item.lastIndexOf(":");
    const op = colon > 0 ? item.slice(0, colon).trim() : "";
    const text = colon > 0 ? item.slice(colon + 1).trim() : "";
    const fraction = text === "" ? Number.NaN : Number(text);
    if (op === "" || !/^[a-z0-9][a-z0-9:-]*$/.test(op))
      throw new ConfigError(`${INJECT_DELAY_ENV}: "${item}" is not op:fraction (e.g. state-update:0.2)`);
    if (!Number.isFinite(fraction) || fraction <= 0 || fraction > MAX_FRACTION)
      throw new ConfigError(`${INJECT_DELAY_ENV}: the slowdown of ${op} must be a fraction > 0 and ≤ ${MAX_FRACTION}, got "${text}"`);
    if (out.has(op)) throw new ConfigError(`${INJECT_DELAY_ENV}: ${op} is named twice`);
    out.set(op, fraction);
  }
  return out;
}

/** This process's CPU time (user + system, all threads) in µs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function spinForCpu(micros: number): void {
  const end = cpuMicros() + micros;
  while (cpuMicros() < end) {
    // Busy-wait on CPU time, not the clock: on a loaded machine a clock-timed wait is partly spent
    // descheduled, so it would add less work than asked, or (timed from a call inflated by waiting
    // for the CPU) much more.
  }
}

/**
 * `fn` made `fraction` slower: after each call it busy-waits until this process has spent
 * `fraction` × the CPU time that call spent, so the slowdown is relative (20 % more work stays
 * 20 % whatever the machine's speed or load) and is paid inside the measured call, as a real
 * regression that adds work would be. An operation that mostly waits (an fsync) becomes less than
 * `fraction` slower in wall time: the gate's report shows that change beside the CPU one.
 */
export function slowedDown(fn: () => unknown, fraction: number): () => unknown {
  return () => {
    const c0 = cpuMicros();
    const r = fn();
    if (r instanceof Promise)
      return r.then((v: unknown) => {
        spinForCpu((cpuMicros() - c0) * fraction);
        return v;
      });
    spinForCpu((cpuMicros() - c0) * fraction);
    return r;
  };
}

/** `fn` as this process's environment asks for operation `name`: unchanged unless injected. */
export function withInjectedDelay(name: string, fn: () => unknown, env: NodeJS.ProcessEnv = process.env): () => unknown {
  const fraction = parseInjectDelay(env[INJECT_DELAY_ENV]).get(name);
  return fraction === undefined ? fn : slowedDown(fn, fraction);
}
