import { createRequire } from "node:module";

/**
 * lmdb-js, through its CommonJS build: one bundled file (dist/index.cjs) where its ES module
 * entry is a dozen modules that Node 20's ESM loader resolves, reads and links one by one. Every
 * CLI hook on an lmdb: store pays for this at start-up: measured with callgrind, `require("lmdb")`
 * runs ~110 M instructions against ~180 M for `import("lmdb")` (`node -e 0`: ~500 M). Both builds
 * drive the same native addon; ABORT and open must come from the same one, hence this one module.
 */
const lmdb = createRequire(import.meta.url)("lmdb") as typeof import("lmdb");

export const { ABORT, open } = lmdb;
