import type { Durability } from "@statehouse/core";

// The one place STATEHOUSE_TORTURE is read. TESTPLAN.md gives every test two sizes: `quick` for
// every run, `full` for torture runs (`pnpm torture`, STATEHOUSE_TORTURE=1).

/** Whether this is a torture run (STATEHOUSE_TORTURE=1): the TESTPLAN's `full` sizes. */
export const TORTURE: boolean = process.env.STATEHOUSE_TORTURE === "1";

/** `full` in a torture run, else `quick`. */
export function sized<T>(quick: T, full: T): T {
  return TORTURE ? full : quick;
}

/** The durability modes a suite runs in: `strict` always, `relaxed` too in a torture run. */
export const DURABILITY_MODES: readonly Durability[] = TORTURE ? ["strict", "relaxed"] : ["strict"];

/** Runs `register` once per durability mode of DURABILITY_MODES (e.g. one conformance suite each). */
export function forEachDurability(register: (durability: Durability) => void): void {
  for (const durability of DURABILITY_MODES) register(durability);
}
