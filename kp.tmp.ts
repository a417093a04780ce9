import { isCurveY } from './src/point-encoding.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
const which = process.argv[2]; const n = Number(process.argv[3]);
const keys = Array.from({ length: n }, (_, i) => { const k = new Uint8Array(32); for (let j = 0; j < 32; j++) k[j] = (i * 131 + j * 29 + (i >> 3) * 7 + j * j) & 0xff; k[31] &= 0x7f; return k; });
if (which === 'fast') for (const k of keys) isCurveY(k);
if (which === 'noble') for (const k of keys) { try { ed25519.Point.fromBytes(k, false) } catch {} }
