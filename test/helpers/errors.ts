// What a call threw, as a stable code: the tests assert on codes, never on messages.

import { type ErrorCode, isScrypError } from '../../src/errors.ts';

export function codeOf(run: () => unknown): ErrorCode | 'no error' | 'not a ScrypError' {
  try {
    run();
    return 'no error';
  } catch (error) {
    return isScrypError(error) ? error.code : 'not a ScrypError';
  }
}
