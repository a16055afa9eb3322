import { createRequire } from "node:module";

/** This package's version, reported to clients in the initialize handshake. */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
