// Loads the Wycheproof Ed25519 verification vectors (test/vectors/wycheproof-ed25519_test.json,
// Apache 2.0, see test/vectors/WYCHEPROOF-LICENSE) as flat, typed cases. The file is data:
// this helper only reads it, checking its shape so that a damaged file fails loudly
// instead of silently running fewer cases.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WycheproofCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly valid: boolean;
}

export interface WycheproofFile {
  readonly numberOfTests: number;
  readonly cases: readonly WycheproofCase[];
}

export const wycheproofPath = join(import.meta.dir, '..', 'vectors', 'wycheproof-ed25519_test.json');

function hex(value: unknown, where: string): Uint8Array {
  // The vectors use lowercase hex, possibly empty or of odd-looking lengths (that is the point).
  if (typeof value !== 'string' || !/^([0-9a-f]{2})*$/.test(value)) throw new Error(`wycheproof: ${where} is not hex`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`wycheproof: ${where} is not an object`);
  return value as Record<string, unknown>;
}

export function loadWycheproofEd25519(path = wycheproofPath): WycheproofFile {
  const top = record(JSON.parse(readFileSync(path, 'utf8')), 'file');
  if (top.algorithm !== 'EDDSA') throw new Error(`wycheproof: algorithm ${String(top.algorithm)}`);
  if (typeof top.numberOfTests !== 'number') throw new Error('wycheproof: numberOfTests');
  if (!Array.isArray(top.testGroups)) throw new Error('wycheproof: testGroups');
  const cases: WycheproofCase[] = [];
  top.testGroups.forEach((groupValue: unknown, groupIndex: number) => {
    const group = record(groupValue, `testGroups[${groupIndex}]`);
    const publicKey = hex(record(group.publicKey, `testGroups[${groupIndex}].publicKey`).pk, `testGroups[${groupIndex}].publicKey.pk`);
    if (!Array.isArray(group.tests)) throw new Error(`wycheproof: testGroups[${groupIndex}].tests`);
    for (const testValue of group.tests as unknown[]) {
      const test = record(testValue, `testGroups[${groupIndex}].tests[]`);
      const where = `tcId ${String(test.tcId)}`;
      if (typeof test.tcId !== 'number') throw new Error(`wycheproof: ${where}: tcId`);
      if (test.result !== 'valid' && test.result !== 'invalid') {
        // Ed25519 has no "acceptable" cases; one appearing would need a decision, not a guess.
        throw new Error(`wycheproof: ${where}: result ${String(test.result)}`);
      }
      cases.push({
        tcId: test.tcId,
        comment: typeof test.comment === 'string' ? test.comment : '',
        flags: Array.isArray(test.flags) ? test.flags.map(String) : [],
        publicKey,
        message: hex(test.msg, `${where}.msg`),
        signature: hex(test.sig, `${where}.sig`),
        valid: test.result === 'valid',
      });
    }
  });
  return { numberOfTests: top.numberOfTests, cases };
}
