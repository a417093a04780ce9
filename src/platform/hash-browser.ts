// SHA-2 in the browser (the pocket wallet), on @noble/hashes: the same functions as
// hash-native.ts, chosen for "#hash" by the "browser" condition of package.json's "imports".

import { sha256 as noble256, sha512 as noble512 } from '@noble/hashes/sha2.js';

interface Hash {
  (message: Uint8Array): Uint8Array;
  create(): { update(part: Uint8Array): unknown; digest(): Uint8Array };
}

function hashOf(hash: Hash, parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return hash(parts[0]!);
  const hasher = hash.create();
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

export const sha256 = (...parts: Uint8Array[]): Uint8Array => hashOf(noble256, parts);
export const sha512 = (...parts: Uint8Array[]): Uint8Array => hashOf(noble512, parts);
