import { crc32 } from "node:zlib";

/**
 * Every data file is "framed JSON lines": a header line (a JSON object with the body's byte
 * length and CRC-32), then one JSON value per line. People can read and grep it; a torn, truncated,
 * zero-filled or bit-flipped file fails the length or checksum test instead of parsing into
 * something plausible but wrong.
 */
export interface Framed {
  readonly header: Record<string, unknown>;
  readonly lines: string[];
}

/** Why a file failed its frame check; the caller turns this into E_CORRUPT naming the file. */
export class FrameError extends Error {
  override readonly name = "FrameError";
}

const CRC_SUFFIX = /,"crc32":"([0-9a-f]{8})"\}$/;

// The checksum covers the header (without the checksum itself) and the body: a flipped byte in a
// header field (a time, a sequence number) is as detectable as one in a record.
function crcOf(headBase: string, body: Buffer): string {
  const head = Buffer.from(`${headBase}\n`, "utf8");
  return crc32(body, crc32(head)).toString(16).padStart(8, "0");
}

export function encodeFramed(header: Record<string, unknown>, lines: readonly string[]): Buffer {
  const body = Buffer.from(lines.length === 0 ? "" : `${lines.join("\n")}\n`, "utf8");
  const base = JSON.stringify({ ...header, bytes: body.length });
  const head = `${base.slice(0, -1)},"crc32":"${crcOf(base, body)}"}`;
  return Buffer.concat([Buffer.from(`${head}\n`, "utf8"), body]);
}

export function decodeFramed(buf: Buffer, kind: string): Framed {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) throw new FrameError(buf.length === 0 ? "the file is empty" : "no header line");
  const headText = buf.toString("utf8", 0, nl);
  const m = CRC_SUFFIX.exec(headText);
  if (m === null) throw new FrameError("the header has no checksum");
  const body = buf.subarray(nl + 1);
  if (m[1] !== crcOf(`${headText.slice(0, m.index)}}`, body)) throw new FrameError("checksum mismatch");
  let header: unknown;
  try {
    header = JSON.parse(headText);
  } catch {
    throw new FrameError("the header line is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new FrameError("the header is not an object");
  const h = header as Record<string, unknown>;
  if (h.statehouse !== kind) throw new FrameError(`not a ${kind} file`);
  if (h.bytes !== body.length) throw new FrameError(`the body has ${body.length} bytes, the header says ${String(h.bytes)}`);
  const text = body.toString("utf8");
  if (text !== "" && !text.endsWith("\n")) throw new FrameError("the last line is incomplete");
  return { header: h, lines: text === "" ? [] : text.slice(0, -1).split("\n") };
}

/** Parses one line of a frame-checked body; a failure here means the writer wrote garbage. */
export function parseLine(line: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new FrameError("a line is not JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new FrameError("a line is not an object");
  return v as Record<string, unknown>;
}
