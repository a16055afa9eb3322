import { errorKind } from "../util/errors.js";
import { openJobStore } from "./domain-roles.js";
import type { Role } from "./spi-roles.js";

/**
 * idempotent writer: waits for "go", then makes one keyed increment of the shared counter and one
 * keyed session create, and reports both results ("ack"). With `hold`, it then waits to be killed
 * (kill -9 after the acknowledgement); otherwise it returns them as its result.
 */
const idempotentWriter: Role = async (job, io) => {
  const store = await openJobStore(job);
  const key = job.params.key as string;
  io.emit({ t: "ready" });
  await io.waitFor("go");
  try {
    const counted = await store.state("counter").increment("/n", 1, { idempotencyKey: `${key}:incr` } as never);
    const session = await store.sessions.create({ name: "keyed" }, { idempotencyKey: `${key}:session` } as never);
    const ack = { value: counted.value, revision: counted.revision, session: session.id };
    io.emit({ t: "ack", ...ack });
    if (job.params.hold === true) await io.waitFor("never");
    await store.close();
    return ack;
  } catch (err) {
    await store.close();
    return { error: errorKind(err) };
  }
};

export const IDEMPOTENCY_ROLES: Record<string, Role> = {
  "idempotent-writer": idempotentWriter,
};
