/**
 * The resolve hook sdk.cjs registers: a bare import that Node's own resolution cannot find is
 * resolved from NODE_PATH's folders (the kit's SDK v3 among them), as Lambda resolves ES modules.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';

let parents = [];

/** For each folder, a parent URL whose first node_modules lookup is that folder. */
export function initialize(data) {
  parents = (data?.folders ?? []).map((folder) => {
    const resolved = path.resolve(folder);
    const base =
      path.basename(resolved) === 'node_modules' ? path.dirname(resolved) : resolved;
    return pathToFileURL(path.join(base, '__workshop_nodepath__.mjs')).href;
  });
}

function isBare(specifier) {
  return !/^(?:[./]|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder: the next one, then the original error
      }
    }
    throw error;
  }
}
