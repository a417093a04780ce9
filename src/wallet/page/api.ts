// Calls to the wallet's local API (api-types.ts), through one of two backends: the
// `scryp wallet` process over HTTP (httpBackend: the token comes from the URL's fragment,
// #token=…, which the browser never sends anywhere; it goes in a header on each call), or
// the pocket wallet's service in this page itself (pocket/backend.ts). The screens call
// get and post the same way for both.

import type { ApiError } from '../api-types.ts';
import { follow } from './follow.ts';

export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A parameter of the URL's fragment (#token=…, #staff=…, #till=…), never sent to any server. */
function fragmentParameter(name: string, pattern: string): string | null {
  const match = new RegExp(`(?:^#|&)${name}=(${pattern})(?:&|$)`).exec(window.location.hash);
  return match === null ? null : match[1]!;
}

/** The wallet's own token: `scryp wallet`'s page, the owner. */
export function tokenFromLocation(): string | null {
  return fragmentParameter('token', '[A-Za-z0-9_-]+');
}

/** The staff token of `scryp wallet`'s staff link: the till alone. */
export function staffTokenFromLocation(): string | null {
  return fragmentParameter('staff', '[A-Za-z0-9_-]+');
}

/** The account of the pocket wallet's staff link (#till=ADDRESS): the till alone, for that account. */
export function tillFromLocation(): string | null {
  return fragmentParameter('till', '[^&]*');
}

export interface Backend {
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
  /**
   * Settles when something a screen follows may have changed (a payment's step), or after
   * `ms` at most. The pocket wallet's backend knows (the wallet runs in the page); a backend
   * that cannot know is asked again after `ms`.
   */
  changed?(ms: number): Promise<void>;
}

let backend: Backend = { call: () => Promise.reject(new ApiFailure('OFFLINE', 'the page is still starting', 0)) };

export function useBackend(chosen: Backend): void {
  backend = chosen;
}

/** The `scryp wallet` process: its API over HTTP, with the token of the URL. */
export function httpBackend(token: string): Backend {
  return { call: (method, path, body) => callProcess(token, method, path, body) };
}

async function callProcess(token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
    });
  } catch {
    throw new ApiFailure('OFFLINE', 'The wallet process does not answer: is scryp wallet still running?', 0);
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    if (contentType.startsWith('application/json')) {
      const refusal = (await response.json()) as ApiError;
      throw new ApiFailure(refusal.error.code, refusal.error.message, response.status);
    }
    throw new ApiFailure('HTTP', `the wallet answered ${response.status}`, response.status);
  }
  return contentType.startsWith('application/json') ? await response.json() : await response.text();
}

const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => (await backend.call(method, path, body)) as T;

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, body);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Asks `path` every `everyMs`, or sooner when the backend says something changed, and
 * renders each answer until one is final (follow.ts).
 */
export function followUntilFinal<T extends { readonly final: boolean }>(
  path: string,
  options: { everyMs: number; rounds: number; wanted: () => boolean; render: (view: T) => void; failed: (text: string) => void },
): Promise<void> {
  return follow(() => get<T>(path), {
    ...options,
    failed: (error) => options.failed(failureText(error)),
    wait: (ms) => backend.changed?.(ms) ?? sleep(ms),
  });
}

/** A failure as a person reads it: the sentence, then the code to look up in docs/ERRORS.md. */
export function failureText(error: unknown): string {
  if (error instanceof ApiFailure) return error.code === 'OFFLINE' || error.code === 'HTTP' ? error.message : `${error.message} (${error.code})`;
  return String(error);
}
