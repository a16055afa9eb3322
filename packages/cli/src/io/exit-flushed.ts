import { EXIT_CODES } from "../exit-codes.js";

type Stream = NodeJS.WriteStream;

/**
 * Ends the process at once, with E_IO's status (14) and nothing printed, when stdout or stderr
 * cannot be written: a reader that went away (EPIPE, as with `| head`) wants nothing more, and a
 * command that goes on (`watch`) must not keep writing into a closed pipe. Without a listener, the
 * stream's error would be an uncaught exception with a stack trace. Call before running a command.
 */
export function exitOnBrokenOutput(streams: readonly Stream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) s.on("error", () => process.exit(EXIT_CODES.E_IO));
}

/**
 * Exits with `status` once stdout and stderr have handed everything written to the OS.
 *
 * A pipe's writes are asynchronous in Node once the pipe is full (64 KiB on Linux, until its reader
 * reads): `process.exit` right after a large `--json` output cut it at the pipe's size. The exit
 * itself stays: an adapter handle left open (a timer, a database) must not hold the process up.
 */
export async function exitWhenFlushed(status: number, streams: readonly Stream[] = [process.stdout, process.stderr]): Promise<never> {
  process.exitCode = status;
  await Promise.all(streams.map(flushed));
  process.exit(status);
}

function flushed(stream: Stream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("close", done);
      resolve();
    };
    stream.on("close", done);
    // Writes complete in order: the callback of an empty write runs after every earlier one finished.
    stream.write("", done);
  });
}
