// The Jacobi symbol (a | n), n odd and positive: for a prime n, the Legendre symbol, which
// says whether a is a square mod n. Whether a y is a curve point's asks it once per new key
// (point-encoding.ts isCurveY), on every server, for every new payee: it must be cheap.
//
// The Euclidean algorithm with quadratic reciprocity, the numerator's factors of 2 left in:
// each step (big, small) → (small, big mod small) changes the symbol by a sign that depends
// only on the low bits of big, small and the remainder, so the quotients may come from
// Lehmer's method (Knuth 4.6.1, Algorithm L): a run of exact quotients computed on the top
// 48 to 50 bits as doubles, their cofactors applied to the whole numbers once per run. About
// 130 steps for a 255-bit modulus, in 10 runs. Measured side by side on the 2-core machine of
// docs/BENCHMARKS.md: about 8 µs, where noble's point decode (a square root) takes about 19
// and the same steps with a BigInt division each about 11.
//
// The sign of a step. The symbol sought is sign · (num | den), den odd; num and den are the
// two numbers of the Euclidean pair, and den is either the larger (big) or the smaller.
//   den = big, small odd:  (small | big) = ε(small, big) · (big mod small | small): swap.
//   den = big, small = 2^s·t even (t odd), r = big mod small (odd, as big is):
//     (small | big) = (2|big)^s (2|r)^s ε(t, big) ε(t, r) · (small | r): den becomes r, the smaller.
//     [(2|big)^s (t|big); (t|big) = ε(t,big) (big|t) = ε(t,big) (r|t), as t divides small;
//      (r|t) = ε(t,r) (t|r) = ε(t,r) (2|r)^s (small|r).]
//   den = small: (big | small) = (big mod small | small): no sign, den becomes the larger.
// with ε(x, y) = −1 when x ≡ y ≡ 3 (mod 4), and (2|m) = −1 when m ≡ 3 or 5 (mod 8). Only
// the even case needs more than 3 low bits (s, and t mod 4): 32 are kept, and a step whose
// small value has more than 29 trailing zeros (one in a billion) is taken on the BigInts.
// When the smaller number reaches 0, den is the larger and the symbol is sign·[den = 1].

const low_mask = 0xffff_ffffn;
/** Cofactors of a run stay below this, so that its update of the limbs stays exact. */
const cofactor_max = 2 ** 27;

/** (2 | m) for odd m, from m mod 8. */
const twoOver = (m: number): number => ((m & 7) === 3 || (m & 7) === 5 ? -1 : 1);

/**
 * The factor of one Euclidean step and who is den after it: ±1 when den is then the larger,
 * ±2 when it is the smaller. For den = big and small = 2^s·t even: `sOdd` and `t` mod 4.
 */
function evenStep(sOdd: boolean, t: number, big: number, r: number): number {
  let sign = sOdd ? twoOver(big) * twoOver(r) : 1;
  if ((t & 3) === 3 && (big & 3) === 3) sign = -sign;
  if ((t & 3) === 3 && (r & 3) === 3) sign = -sign;
  return 2 * sign;
}

/**
 * One step from the low 32 bits (as int32s) of big, small and r = big mod small; 0 when they
 * do not say (small has more than 29 trailing zeros there): exactStep then.
 */
function step(denIsBig: boolean, big: number, small: number, r: number): number {
  if (!denIsBig) return 1;
  if ((small & 1) === 1) return (small & big & 3) === 3 ? -1 : 1;
  if (small === 0) return 0;
  const s = 31 - Math.clz32(small & -small);
  if (s > 29) return 0;
  return evenStep((s & 1) === 1, small >>> s, big, r);
}

/** The same step on exact BigInts, whatever the trailing zeros. */
function exactStep(denIsBig: boolean, big: bigint, small: bigint, r: bigint): number {
  const bigLow = Number(big & low_mask);
  const rLow = Number(r & low_mask);
  if (!denIsBig || (small & 1n) === 1n) return step(denIsBig, bigLow, Number(small & low_mask), rLow);
  let s = 0;
  let odd = small;
  while ((odd & low_mask) === 0n) {
    odd >>= 32n;
    s += 32;
  }
  const low = Number(odd & low_mask);
  const shift = 31 - Math.clz32(low & -low);
  return evenStep(((s + shift) & 1) === 1, Number((odd >> BigInt(shift)) & 3n), bigLow, rLow);
}

// Numbers in limbs of 24 bits, least significant first, as exact doubles: a run's update
// (cofactors below 2^27) keeps every product and sum below 2^53. BigInts would be simpler,
// but each BigInt operation allocates, and they cost more than the steps themselves.
const limb_bits = 24;
const limb = 2 ** limb_bits;

function limbsOf(x: bigint, length: number): Float64Array {
  const out = new Float64Array(length);
  const hex = x.toString(16);
  // Six hex digits to a limb, from the right; digits read as char codes (a parseInt per slice costs more).
  for (let i = hex.length - 1, shift = 1, index = 0; i >= 0; i--) {
    const code = hex.charCodeAt(i);
    out[index] = out[index]! + (code <= 57 ? code - 48 : code - 87) * shift;
    shift *= 16;
    if (shift === limb) {
      shift = 1;
      index++;
    }
  }
  return out;
}

function bigintOf(limbs: Float64Array, length: number): bigint {
  let hex = '0x0';
  for (let i = length - 1; i >= 0; i--) hex += limbs[i]!.toString(16).padStart(6, '0');
  return BigInt(hex);
}

/** The low 32 bits of a limb number, as an int32 (two's complement: the same bits). */
const lowOf = (limbs: Float64Array): number => (limbs[0]! + (limbs[1]! % 256) * limb) | 0;

/**
 * A run of Lehmer steps from the top bits of big and small (the same shift) and their low
 * 32 bits: exact quotients only, while both brackets agree. Writes the cofactors A, B, C, D
 * (the pair becomes (A·big + B·small, C·big + D·small)), the sign the steps multiply by, and
 * whether den is then the larger, into `out`; returns the number of steps.
 */
function lehmerRun(bigTop: number, smallTop: number, bigLow: number, smallLow: number, denIsBig: boolean, out: Float64Array): number {
  let A = 1;
  let B = 0;
  let C = 0;
  let D = 1;
  let sign = 1;
  let steps = 0;
  for (;;) {
    if (smallTop + C === 0 || smallTop + D === 0) break;
    const q = Math.floor((bigTop + A) / (smallTop + C));
    if (q < 0 || q !== Math.floor((bigTop + B) / (smallTop + D))) break; // (brackets are ≥ 0 in Algorithm L; a guard costs nothing)
    const nextC = A - q * C;
    const nextD = B - q * D;
    if (Math.abs(nextC) >= cofactor_max || Math.abs(nextD) >= cofactor_max) break;
    const r = (bigLow - Math.imul(q, smallLow)) | 0; // (big − q·small) mod 2^32: imul takes q mod 2^32
    const factor = step(denIsBig, bigLow, smallLow, r);
    if (factor === 0) break;
    if (factor < 0) sign = -sign;
    denIsBig = factor === 1 || factor === -1;
    A = C;
    B = D;
    C = nextC;
    D = nextD;
    const smallTopNext = bigTop - q * smallTop;
    bigTop = smallTop;
    smallTop = smallTopNext;
    bigLow = smallLow;
    smallLow = r;
    steps++;
  }
  out[0] = A;
  out[1] = B;
  out[2] = C;
  out[3] = D;
  out[4] = sign;
  out[5] = denIsBig ? 1 : 0;
  return steps;
}

/** (big, small) ← (A·big + B·small, C·big + D·small), with the cofactors of a run (`run`); both results are ≥ 0. */
function combine(big: Float64Array, small: Float64Array, length: number, run: Float64Array, outBig: Float64Array, outSmall: Float64Array): void {
  const A = run[0]!;
  const B = run[1]!;
  const C = run[2]!;
  const D = run[3]!;
  let carryBig = 0;
  let carrySmall = 0;
  for (let i = 0; i < length; i++) {
    const b = A * big[i]! + B * small[i]! + carryBig;
    const s = C * big[i]! + D * small[i]! + carrySmall;
    // floor(x / 2^24) of |x| < 2^52: truncated in int32, then one down for a negative non-multiple (Math.floor costs a call here).
    carryBig = (b / limb) | 0;
    if (carryBig * limb > b) carryBig--;
    carrySmall = (s / limb) | 0;
    if (carrySmall * limb > s) carrySmall--;
    outBig[i] = b - carryBig * limb;
    outSmall[i] = s - carrySmall * limb;
  }
}

/** The last steps, below 2^48, on exact doubles: the quotient from a division (q·small ≤ big stays exact), no fmod. */
function tail(big: number, small: number, sign: number, denIsBig: boolean): number {
  while (small !== 0) {
    const r = big - Math.floor(big / small) * small;
    let factor = step(denIsBig, big | 0, small | 0, r | 0);
    if (factor === 0) factor = exactStep(denIsBig, BigInt(big), BigInt(small), BigInt(r));
    if (factor < 0) sign = -sign;
    denIsBig = factor === 1 || factor === -1;
    big = small;
    small = r;
  }
  return big === 1 ? sign : 0;
}

/** The last modulus and its limbs: every call of isCurveY asks modulo p. */
let modulus = 0n;
let modulusLimbs: Float64Array = new Float64Array(0);

/** The Jacobi symbol (a | n) for odd n > 0: 1 or −1, or 0 when a and n share a factor. */
export function jacobi(a: bigint, n: bigint): number {
  let sign = 1;
  if (n !== modulus) {
    modulus = n;
    modulusLimbs = limbsOf(n, Math.max(3, Math.ceil(n.toString(16).length / 6)));
  }
  let length = modulusLimbs.length;
  let big: Float64Array = modulusLimbs.slice();
  let small: Float64Array = limbsOf(((a % n) + n) % n, length);
  let nextBig: Float64Array = new Float64Array(length);
  let nextSmall: Float64Array = new Float64Array(length);
  let denIsBig = true;
  const run = new Float64Array(6);
  for (;;) {
    while (length > 2 && big[length - 1] === 0) length--;
    if (length <= 2) break; // below 2^48: the rest on doubles
    let smallIsZero = true;
    for (let i = 0; i < length && smallIsZero; i++) smallIsZero = small[i] === 0;
    if (smallIsZero) return 0; // big > 1 divides the numerator
    // A run of Lehmer steps on the top 48 to 50 bits: exact quotients only (both brackets agree).
    const top = length - 1;
    const drop = Math.max(0, 32 - Math.clz32(big[top]!) - 2);
    const high = 2 ** (2 * limb_bits - drop);
    const middle = 2 ** (limb_bits - drop);
    const low = 2 ** drop;
    const bigTop = big[top]! * high + big[top - 1]! * middle + Math.floor(big[top - 2]! / low);
    const smallTop = small[top]! * high + small[top - 1]! * middle + Math.floor(small[top - 2]! / low);
    const steps = lehmerRun(bigTop, smallTop, lowOf(big), lowOf(small), denIsBig, run);
    if (run[4]! < 0) sign = -sign;
    denIsBig = run[5] === 1;
    if (steps > 0) {
      combine(big, small, length, run, nextBig, nextSmall);
      const oldBig = big;
      const oldSmall = small;
      big = nextBig;
      small = nextSmall;
      nextBig = oldBig;
      nextSmall = oldSmall;
      continue;
    }
    // No exact quotient from the top bits (small is far below big), or a step the low bits cannot take: one step on BigInts.
    const bigValue = bigintOf(big, length);
    const smallValue = bigintOf(small, length);
    const r = bigValue % smallValue;
    const factor = exactStep(denIsBig, bigValue, smallValue, r);
    if (factor < 0) sign = -sign;
    denIsBig = factor === 1 || factor === -1;
    big = limbsOf(smallValue, length);
    small = limbsOf(r, length);
  }
  return tail(big[0]! + big[1]! * limb, small[0]! + small[1]! * limb, sign, denIsBig);
}
