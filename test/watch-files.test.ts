// The files `scryp watch` keeps in DIR (src/watch/position.ts, secret.ts): the position,
// strict to read and replaced atomically, refused (never overwritten) when it does not
// parse or is another watcher's; the webhook secret, made once with mode 0600.

import { afterAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../src/address.ts';
import { toHex } from '../src/bytes.ts';
import { isScrypError } from '../src/errors.ts';
import { period_end_index } from '../src/watch/follow.ts';
import { checkPositionFor, formatPosition, parsePosition, positionPath, readPosition, removeLeftAsides, writePosition } from '../src/watch/position.ts';
import { loadOrCreateSecret, secretPath } from '../src/watch/secret.ts';
import { testSigner } from './helpers/keys.ts';

const base = mkdtempSync(join(tmpdir(), 'scryp-watch-files-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const dir = join(base, `dir${dirs++}`);
  mkdirSync(dir);
  return dir;
};

const network = new Uint8Array(32).fill(7);
const account = testSigner('watch files shop').publicKey;
const other = testSigner('watch files other').publicKey;

function codeOf(body: () => unknown): string | null {
  try {
    body();
    return null;
  } catch (error) {
    if (isScrypError(error)) return error.code;
    throw error;
  }
}

describe('the position file', () => {
  test('format and parse are inverse, for every period and index (the end of a period included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.oneof(fc.integer({ min: 0, max: 65_535 }), fc.constant(period_end_index)), (period, index) => {
        const saved = { network, account, position: { period, index } };
        const text = formatPosition(saved);
        expect(text.endsWith('\n')).toBe(true);
        expect(parsePosition(text, 'p')).toEqual(saved);
      }),
    );
    expect(formatPosition({ network, account, position: { period: 12, index: 3 } })).toBe(`{"version":1,"network":"${toHex(network)}","account":"${encodeAddress(account)}","period":12,"index":3}\n`);
  });

  test('anything else is WATCH_POSITION_FILE, saying what is wrong and that the file is left as it is', () => {
    const good = JSON.parse(formatPosition({ network, account, position: { period: 12, index: 3 } }));
    const bad: [string, string][] = [
      ['', 'not JSON'],
      ['{"version":1', 'not JSON'],
      ['[]', 'a JSON object'],
      ['null', 'a JSON object'],
      [JSON.stringify({ ...good, extra: 1 }), 'expected the fields'],
      [JSON.stringify({ ...good, version: 2 }), 'version 2'],
      [JSON.stringify({ ...good, period: -1 }), 'period'],
      [JSON.stringify({ ...good, period: 1.5 }), 'period'],
      [JSON.stringify({ ...good, period: '12' }), 'period'],
      [JSON.stringify({ ...good, index: period_end_index + 1 }), 'index'],
      [JSON.stringify({ ...good, network: 'ab' }), 'network'],
      [JSON.stringify({ ...good, account: `${good.account.slice(0, -1)}x` }), 'account'],
      [JSON.stringify({ ...good, account: 5 }), 'account'],
    ];
    for (const [text, says] of bad) {
      let message = '';
      try {
        parsePosition(text, 'DIR/watch-position.json');
      } catch (error) {
        expect([text, isScrypError(error, 'WATCH_POSITION_FILE')]).toEqual([text, true]);
        message = (error as Error).message;
      }
      expect(message).toContain(says);
      expect(message).toContain('it is left as it is');
    }
  });

  test('read: none yet is null; a bad file is refused and left byte for byte; a file larger than a position is refused unread', () => {
    const dir = freshDir();
    expect(readPosition(dir)).toBeNull();
    writeFileSync(positionPath(dir), '{"version":1,');
    expect(codeOf(() => readPosition(dir))).toBe('WATCH_POSITION_FILE');
    expect(readFileSync(positionPath(dir), 'utf8')).toBe('{"version":1,');
    writeFileSync(positionPath(dir), ' '.repeat(5000));
    expect(codeOf(() => readPosition(dir))).toBe('WATCH_POSITION_FILE');
  });

  test('write replaces the file whole (no aside left), and what is read back is what was written', () => {
    const dir = freshDir();
    writePosition(dir, { network, account, position: { period: 5, index: 1 } });
    writePosition(dir, { network, account, position: { period: 6, index: period_end_index } });
    expect(readPosition(dir)).toEqual({ network, account, position: { period: 6, index: period_end_index } });
    expect(readFileSync(positionPath(dir), 'utf8').split('\n').length).toBe(2);
    // An aside left by a write a kill -9 interrupted is removed, never read.
    writeFileSync(`${positionPath(dir)}.partial-99999`, 'half a fi');
    removeLeftAsides(dir);
    expect(existsSync(`${positionPath(dir)}.partial-99999`)).toBe(false);
    expect(readPosition(dir)?.position).toEqual({ period: 6, index: period_end_index });
  });

  test('another network\'s or another account\'s position is WATCH_POSITION_OTHER, naming what to do', () => {
    const saved = { network, account, position: { period: 5, index: 1 } };
    expect(codeOf(() => checkPositionFor(saved, network, account, 'p'))).toBeNull();
    expect(codeOf(() => checkPositionFor(saved, new Uint8Array(32), account, 'p'))).toBe('WATCH_POSITION_OTHER');
    let message = '';
    try {
      checkPositionFor(saved, network, other, 'p');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`--account ${encodeAddress(account)}`);
  });
});

describe('the webhook secret', () => {
  test('made on first use: 64 hex characters, mode 0600; the same one after; a damaged one refused and kept', () => {
    const dir = freshDir();
    const made = loadOrCreateSecret(dir);
    expect(made.created).toBe(true);
    expect(made.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(secretPath(dir), 'utf8')).toBe(`${made.secret}\n`);
    expect(statSync(secretPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(dir)).toEqual({ ...made, created: false });
    writeFileSync(secretPath(dir), 'not a secret\n');
    expect(codeOf(() => loadOrCreateSecret(dir))).toBe('WATCH_SECRET_FILE');
    expect(readFileSync(secretPath(dir), 'utf8')).toBe('not a secret\n');
    // Two directories, two secrets.
    expect(loadOrCreateSecret(freshDir()).secret).not.toBe(made.secret);
  });
});
