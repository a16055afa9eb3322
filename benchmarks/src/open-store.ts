import * as core from "@statehouse/core";
import type { BenchStore, OpenBenchStoreOptions } from "./bench-store.js";
import { SpiStore } from "./spi-store.js";

/** Whether the built core exports the domain API (`open(url)`). */
export function hasDomainApi(): boolean {
  return typeof (core as Record<string, unknown>).open === "function";
}

/**
 * Opens the store the scenarios measure: through the domain API when core has it (what users
 * call), else through the adapter SPI.
 */
export async function openBenchStore(url: string, options: OpenBenchStoreOptions = {}): Promise<BenchStore> {
  if (options.api !== "spi" && hasDomainApi()) {
    const { DomainStore } = await import("./domain-store.js");
    return DomainStore.open(url, options);
  }
  return SpiStore.open(url, options);
}
