// The owner record (pid + start time + boot id) lives in core's SPI area so that every adapter
// that records a process (this lock, LMDB's compaction marker) judges liveness the same way.
export { SELF, isGone, liveness, type Liveness, type ProcessIdentity } from "@statehouse/core/spi";
