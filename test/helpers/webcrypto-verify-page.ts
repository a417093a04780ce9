// Runs in Chromium (test/ed25519-webcrypto.browser.test.ts bundles it for the browser): the
// browser platform's verify after verifyAhead (WebCrypto where it is used), beside the
// strict reference, for each case given.

import { nativeVerifierInUse, verify, verifyAhead } from '../../src/platform/ed25519-browser.ts';
import { verifyReference } from '../../src/signature-reference.ts';

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

export interface HexCase {
  readonly signature: string;
  readonly message: string;
  readonly publicKey: string;
}

async function verdicts(cases: readonly HexCase[]): Promise<{ native: boolean; verdicts: [boolean, boolean][] }> {
  const out: [boolean, boolean][] = [];
  for (const c of cases) {
    const [signature, message, publicKey] = [bytes(c.signature), bytes(c.message), bytes(c.publicKey)];
    await verifyAhead(signature, message, publicKey);
    out.push([verify(signature, message, publicKey), verifyReference(signature, message, publicKey)]);
  }
  return { native: await nativeVerifierInUse(), verdicts: out };
}

(globalThis as unknown as { scrypVerdicts: typeof verdicts }).scrypVerdicts = verdicts;
