// Bytes one way: Uint8Array everywhere, big-endian integers through explicit offsets,
// validators that return their input and name the field when they refuse it.

import { u64_safe_max } from './constants.ts';
import { fail } from './errors.ts';

/** Refuses anything that is not a Uint8Array of the given length (any length if omitted). */
export function abytes(value: unknown, length: number | undefined, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail('BAD_TYPE', `${field}: expected Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) {
    fail('BAD_LENGTH', `${field}: expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Refuses anything that is not an integer in [min, max]. */
export function aint(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    fail('BAD_TYPE', `${field}: expected an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) fail('OUT_OF_RANGE', `${field}: expected ${min}..${max}, got ${value}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'string') return `string(${value.length})`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

const hexDigits = '0123456789abcdef';
const hexPairs: string[] = Array.from({ length: 256 }, (_, i) => hexDigits[i >> 4]! + hexDigits[i & 15]!);

/** Uint8Array.prototype.toHex where the engine has it (Bun does; some browsers do not yet): a quarter of the time of the loop. */
const nativeToHex = (Uint8Array.prototype as { toHex?: () => string }).toHex;

export function toHex(bytes: Uint8Array): string {
  if (nativeToHex !== undefined) return nativeToHex.call(bytes);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += hexPairs[bytes[i]!]!;
  return out;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1; // uppercase is refused: the canonical form is lowercase
}

/** Parses lowercase hex; `length` is the expected byte count when given. */
export function fromHex(text: unknown, length: number | undefined, field: string): Uint8Array {
  if (typeof text !== 'string') fail('BAD_TYPE', `${field}: expected a hex string, got ${describe(text)}`);
  if (text.length % 2 !== 0) fail('BAD_HEX', `${field}: odd number of hex digits (${text.length})`);
  if (length !== undefined && text.length !== 2 * length) {
    fail('BAD_LENGTH', `${field}: expected ${2 * length} hex digits, got ${text.length}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexValue(text.charCodeAt(2 * i));
    const low = hexValue(text.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) fail('BAD_HEX', `${field}: not lowercase hex at character ${2 * i}`);
    out[i] = (high << 4) | low;
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic byte order: negative, zero or positive. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- big-endian integers ------------------------------------------------------------

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** u64 as a JS number; values beyond 2^53 - 1 are refused (periods and ms never get there). */
export function readU64(dv: DataView, offset: number, field: string): number {
  const high = dv.getUint32(offset);
  const low = dv.getUint32(offset + 4);
  const value = high * 0x1_0000_0000 + low;
  if (value > u64_safe_max) fail('OUT_OF_RANGE', `${field}: u64 beyond 2^53 - 1`);
  return value;
}

export function writeU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, Math.floor(value / 0x1_0000_0000));
  dv.setUint32(offset + 4, value >>> 0);
}

/**
 * A cursor over bytes that refuses short reads and, with `end()`, trailing bytes,
 * so every decoder is strict and canonical by construction.
 */
export class Reader {
  private readonly dv: DataView;
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    // Every decoder starts here: a non-Uint8Array (or a Uint16Array, read by element) is BAD_TYPE, not a TypeError.
    this.dv = view(abytes(bytes, undefined, what));
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  private need(count: number, field: string): void {
    if (this.remaining < count) fail('BAD_LENGTH', `${this.what}.${field}: need ${count} bytes, ${this.remaining} left`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.dv.getUint8(this.offset++);
  }
  u16(field: string): number {
    this.need(2, field);
    const value = this.dv.getUint16(this.offset);
    this.offset += 2;
    return value;
  }
  u32(field: string): number {
    this.need(4, field);
    const value = this.dv.getUint32(this.offset);
    this.offset += 4;
    return value;
  }
  u64(field: string): number {
    this.need(8, field);
    const value = readU64(this.dv, this.offset, `${this.what}.${field}`);
    this.offset += 8;
    return value;
  }
  /** A view, not a copy: callers that keep it beyond the input's life must copy. */
  bytesView(count: number, field: string): Uint8Array {
    this.need(count, field);
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
  /** A copy that owns its memory. */
  take(count: number, field: string): Uint8Array {
    return this.bytesView(count, field).slice();
  }
  end(): void {
    if (this.remaining !== 0) fail('BAD_LENGTH', `${this.what}: ${this.remaining} trailing bytes`);
  }
}

/** Appends big-endian fields into a buffer sized up front (asserts the size was right). */
export class Writer {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  offset = 0;
  constructor(size: number) {
    // Both views over a buffer made here: asking a small Uint8Array for its .buffer costs more than the fields.
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
  }
  u8(value: number): this {
    this.dv.setUint8(this.offset, value);
    this.offset += 1;
    return this;
  }
  u16(value: number): this {
    this.dv.setUint16(this.offset, value);
    this.offset += 2;
    return this;
  }
  u32(value: number): this {
    this.dv.setUint32(this.offset, value);
    this.offset += 4;
    return this;
  }
  u64(value: number): this {
    writeU64(this.dv, this.offset, value);
    this.offset += 8;
    return this;
  }
  put(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }
  done(): Uint8Array {
    if (this.offset !== this.bytes.length) throw new Error(`assertion failed: wrote ${this.offset} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}
