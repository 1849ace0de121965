/**
 * The resolve hook sdk.cjs registers with `module.register` where Node has no
 * `module.registerHooks` (Node 20): a bare import that Node's own resolution cannot find is
 * resolved from NODE_PATH's folders (the kit's SDK v3 among them), as Lambda resolves ES modules.
 */

let parents = [];

/** `data.parents`: for each NODE_PATH folder, a parent URL whose node_modules lookup is it. */
export function initialize(data) {
  parents = data?.parents ?? [];
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
