import { ConfigError } from "@statehouse/core";

/**
 * The test-only slowdown the gate is measured with: `STATEHOUSE_BENCH_INJECT_DELAY="state-update:0.2"`
 * makes every call of the operation `state-update` that the harness measures take 20 % longer. It is
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

function spinFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy-wait: a timer would yield the CPU and measure the scheduler, not a slower operation.
  }
}

/**
 * `fn` made `fraction` slower: after each call it busy-waits for `fraction` × that call's own
 * measured time, so the slowdown is relative (a 20 % delay stays 20 % whatever the machine's
 * speed) and is paid inside the measured call, as a real regression would be.
 */
export function slowedDown(fn: () => unknown, fraction: number): () => unknown {
  return () => {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise)
      return r.then((v: unknown) => {
        spinFor((performance.now() - t0) * fraction);
        return v;
      });
    spinFor((performance.now() - t0) * fraction);
    return r;
  };
}

/** `fn` as this process's environment asks for operation `name`: unchanged unless injected. */
export function withInjectedDelay(name: string, fn: () => unknown, env: NodeJS.ProcessEnv = process.env): () => unknown {
  const fraction = parseInjectDelay(env[INJECT_DELAY_ENV]).get(name);
  return fraction === undefined ? fn : slowedDown(fn, fraction);
}
