// Loads the two conformance suites that pin the strict rule (test/vectors/, each with its
// licence): ed25519-speccheck's 12 cases ("Taming the many EdDSAs", novifinancial,
// Apache-2.0) and C2SP/CCTV's 914 ed25519 vectors (BSD-style). The files are data, copied
// byte for byte; this helper only reads them and checks their shape.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SuiteCase {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly flags: readonly string[];
}

const vectors = join(import.meta.dir, '..', 'vectors');

function hex(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !/^([0-9a-f]{2})*$/.test(value)) throw new Error(`${where} is not hex`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

export function loadSpeccheck(): SuiteCase[] {
  const cases = JSON.parse(readFileSync(join(vectors, 'speccheck-cases.json'), 'utf8')) as Record<string, unknown>[];
  if (!Array.isArray(cases) || cases.length !== 12) throw new Error('speccheck: expected 12 cases');
  return cases.map((c, id) => ({
    id,
    publicKey: hex(c.pub_key, `speccheck ${id} pub_key`),
    message: hex(c.message, `speccheck ${id} message`),
    signature: hex(c.signature, `speccheck ${id} signature`),
    flags: [],
  }));
}

export function loadCctv(): SuiteCase[] {
  const cases = JSON.parse(readFileSync(join(vectors, 'cctv-ed25519vectors.json'), 'utf8')) as Record<string, unknown>[];
  if (!Array.isArray(cases) || cases.length !== 914) throw new Error('cctv: expected 914 vectors');
  return cases.map((c, i) => {
    if (c.number !== i) throw new Error(`cctv: vector ${i} is numbered ${String(c.number)}`);
    if (typeof c.msg !== 'string') throw new Error(`cctv ${i}: msg`);
    return {
      id: i,
      publicKey: hex(c.key, `cctv ${i} key`),
      message: new TextEncoder().encode(c.msg),
      signature: hex(c.sig, `cctv ${i} sig`),
      flags: Array.isArray(c.flags) ? c.flags.map(String) : [],
    };
  });
}

/** ed25519-dalek's verify_strict, stated over CCTV's flags: reject any of these, accept the rest. */
export const strictRejectFlags = ['low_order_A', 'low_order_R', 'non_canonical_A', 'non_canonical_R', 'low_order_residue', 'reencoded_k'] as const;

export const cctvExpectedPath = join(vectors, 'cctv-ed25519-strict-expected.txt');

/** The expected verdicts written beside the vectors: "number accept|reject [flags]" per line. */
export function loadCctvExpected(): Map<number, boolean> {
  const out = new Map<number, boolean>();
  for (const line of readFileSync(cctvExpectedPath, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [number, verdict] = line.split(' ');
    if (verdict !== 'accept' && verdict !== 'reject') throw new Error(`cctv expected: bad line ${line}`);
    out.set(Number(number), verdict === 'accept');
  }
  return out;
}
