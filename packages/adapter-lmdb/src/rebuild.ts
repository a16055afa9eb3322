import type { Database, RootDatabase } from "lmdb";
import { open } from "./lmdb-engine.js";
import { type Environment, SUB_DATABASES, rootOptions } from "./environment.js";
import type { ResolvedLmdbOptions } from "./options.js";

const BATCH = 5_000;
/**
 * lmdb-js transactionSync flags: commit without flushing (MDB_NOSYNC). The copy is private to
 * this process until compaction swaps it in, and it is flushed whole before that.
 */
const TXN_UNFLUSHED = 2 | 0x10000;

/**
 * Writes a fresh copy of the environment into `dir` by re-inserting every entry in key order
 * with MDB_APPEND. Unlike LMDB's compacting copy, which keeps each page as it was, appending
 * fills the pages: B-tree pages split by random inserts are often half empty (secondary index
 * entries, for one, land in the middle of their pages).
 */
export async function rebuildInto(env: Environment, dir: string, options: ResolvedLmdbOptions): Promise<void> {
  const target: RootDatabase = open(rootOptions(dir, options));
  try {
    env.root.resetReadTxn();
    const snapshot = env.root.useReadTransaction();
    try {
      for (const name of SUB_DATABASES) {
        const from = env[name];
        const to = target.openDB({ name, encoding: "binary", keyEncoding: "binary" }) as unknown as Database<Buffer, Buffer>;
        let batch: Array<{ key: Buffer; value: Buffer }> = [];
        const flush = () => {
          const entries = batch;
          batch = [];
          target.transactionSync(() => {
            for (const e of entries) to.put(e.key, e.value, { append: true } as never);
          }, TXN_UNFLUSHED as never);
        };
        for (const { key, value } of from.getRange({ transaction: snapshot })) {
          batch.push({ key: Buffer.from(key), value: Buffer.from(value) });
          if (batch.length === BATCH) flush();
        }
        if (batch.length > 0) flush();
      }
    } finally {
      snapshot.done();
    }
    await new Promise<void>((resolve, reject) => {
      (target as unknown as { sync(cb: (err?: Error) => void): void }).sync((err) => (err ? reject(err) : resolve()));
    });
  } finally {
    await target.close();
  }
}
