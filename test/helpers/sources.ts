// Waiting for a source to say its servers changed: the one nextChange of the tests.
import { type Endpoint, formatEndpoint } from '../../src/address.js';
import { SOURCE_CHANGE, type ServerSource } from '../../src/sources/source.js';
import { WAIT_MS } from './wait.js';

export const show = (list: readonly Endpoint[]): string[] => list.map(formatEndpoint);

/** Resolves with the servers of the next change `src` announces; rejects if none comes within `ms` (generous: a busy machine). */
export function nextChange(src: ServerSource, ms = WAIT_MS): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${SOURCE_CHANGE} event within ${ms} ms`)), ms);
    src.once(SOURCE_CHANGE, (list: Endpoint[]) => {
      clearTimeout(timer);
      resolve(show(list));
    });
  });
}
