// src/wallet/security.ts: the wallet page's checks as pure functions. Which Host names
// reach the wallet (DNS rebinding needs a name, never a literal), when a token matches,
// which Origin may change something, and the headers every response carries.
// test/wallet-server.test.ts asks the same of the running executable over HTTP.

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesState, content_security_policy, hostAllowed, newToken, originAllowed, security_headers, tokenMatches } from '../src/wallet/security.ts';
import { wallet_token_bytes } from '../src/constants.ts';

const loopback = { host: '127.0.0.1', port: 8123 };

describe('Host (DNS rebinding)', () => {
  test('the listen address, and localhost on loopback, with the port', () => {
    expect(hostAllowed('127.0.0.1:8123', loopback)).toBe(true);
    expect(hostAllowed('localhost:8123', loopback)).toBe(true);
    expect(hostAllowed('LOCALHOST:8123', loopback)).toBe(true);
  });

  test('a name, another port, another address, no port, or no Host at all is refused', () => {
    for (const host of ['evil.example:8123', 'attacker.test', '127.0.0.1:8124', '127.0.0.2:8123', '127.0.0.1', 'localhost', '', '127.0.0.1:8123.evil', 'x127.0.0.1:8123', '[::1]:8123']) {
      expect(hostAllowed(host, loopback)).toBe(false);
    }
    expect(hostAllowed(null, loopback)).toBe(false);
  });

  test('listening on another address: only that address (localhost is not it)', () => {
    const lan = { host: '192.168.1.20', port: 8123 };
    expect(hostAllowed('192.168.1.20:8123', lan)).toBe(true);
    expect(hostAllowed('localhost:8123', lan)).toBe(false);
    expect(hostAllowed('192.168.1.21:8123', lan)).toBe(false);
  });

  test('listening on 0.0.0.0: any IPv4 literal with the port, never a name', () => {
    const any = { host: '0.0.0.0', port: 8123 };
    expect(hostAllowed('10.0.0.7:8123', any)).toBe(true);
    expect(hostAllowed('wallet.example:8123', any)).toBe(false);
    expect(hostAllowed('10.0.0.7:8124', any)).toBe(false);
  });

  test('property: a Host that is a DNS name never passes, whatever the listen address', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'test', 'example', 'io'), fc.constantFrom('127.0.0.1', '0.0.0.0', '10.1.2.3'), (labels, tld, host) => {
        const name = [...labels, tld].join('.');
        expect(hostAllowed(`${name}:8123`, { host, port: 8123 })).toBe(false);
      }),
    );
  });
});

describe('token', () => {
  const token = newToken();

  test('a new token is 256 random bits in base64url, different each time', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url').length).toBe(wallet_token_bytes);
    expect(newToken()).not.toBe(token);
  });

  test('only "Bearer <the token>" matches', () => {
    expect(tokenMatches(`Bearer ${token}`, token)).toBe(true);
    for (const header of [null, '', 'Bearer', 'Bearer ', token, `bearer ${token}`, `Basic ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Bearer  ${token}`]) {
      expect(tokenMatches(header, token)).toBe(false);
    }
  });

  test('property: any other string is refused', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (other) => expect(tokenMatches(`Bearer ${other}`, token)).toBe(other === token)));
  });
});

describe('Origin (CSRF)', () => {
  test('exactly http://<Host>; a missing, null, https or foreign origin is refused', () => {
    expect(originAllowed('http://127.0.0.1:8123', '127.0.0.1:8123')).toBe(true);
    expect(originAllowed('http://localhost:8123', 'localhost:8123')).toBe(true);
    for (const origin of [null, 'null', '', 'https://127.0.0.1:8123', 'http://127.0.0.1:8124', 'http://evil.example', 'http://127.0.0.1:8123/']) {
      expect(originAllowed(origin, '127.0.0.1:8123')).toBe(false);
    }
  });

  test('GET and HEAD change nothing; every other method does', () => {
    expect(changesState('GET')).toBe(false);
    expect(changesState('HEAD')).toBe(false);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) expect(changesState(method)).toBe(true);
  });
});

describe('headers', () => {
  test('the Content-Security-Policy of the brief, directive for directive', () => {
    const directives = content_security_policy.split('; ');
    expect(directives).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(security_headers['content-security-policy']).toBe(content_security_policy);
    expect(security_headers['x-content-type-options']).toBe('nosniff');
    expect(security_headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('the page writes text, never markup', () => {
  test('no page script parses HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    const dir = join(import.meta.dir, '..', 'src', 'wallet', 'page');
    const scripts = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(scripts.length).toBeGreaterThan(5);
    for (const name of scripts) {
      const source = readFileSync(join(dir, name), 'utf8');
      expect([name, source.match(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\(/)?.[0] ?? null]).toEqual([name, null]);
    }
  });
});
