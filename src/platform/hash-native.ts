// SHA-2 through Bun's native hasher: the node, the CLI and the tests. The browser's twin is
// hash-browser.ts; package.json's "imports" picks one for "#hash" (the "browser" condition).

export function sha256(...parts: Uint8Array[]): Uint8Array {
  // Bun returns a Buffer, which is a Uint8Array already: copying it would cost more than the hash.
  if (parts.length === 1) return Bun.CryptoHasher.hash('sha256', parts[0]!);
  const hasher = new Bun.CryptoHasher('sha256');
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

export function sha512(...parts: Uint8Array[]): Uint8Array {
  const hasher = new Bun.CryptoHasher('sha512');
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}
