// Reading a network file from disk (the node and the CLI); its text is parsed by
// network.ts, which the browser's pocket wallet shares (it gets the text over HTTP).

import { readFileSync, statSync } from 'node:fs';
import { network_file_bytes_max } from './constants.ts';
import { fail } from './errors.ts';
import { type Network, parseNetworkText } from './network.ts';

export function loadNetworkFile(path: string): Network {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    fail('BAD_NETWORK_FILE', `${path}: cannot read (${(error as Error).message})`);
  }
  if (size > network_file_bytes_max) fail('BAD_NETWORK_FILE', `${path}: ${size} bytes is over the ${network_file_bytes_max}-byte limit`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // A directory, or a file that vanished or became unreadable since stat.
    fail('BAD_NETWORK_FILE', `${path}: cannot read (${(error as Error).message})`);
  }
  return parseNetworkText(text, path);
}
