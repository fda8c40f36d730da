// Resource replacements in a Terraform plan (`terraform show -json` of a saved plan).
//
// A replacement means Terraform destroys a resource and creates it again because an attribute
// that cannot be updated in place changed. For a claimed prebuilt workspace that defeats the
// purpose of the prebuild: the slow part is redone at claim time.

/** Resource address → the attribute paths that forced its replacement ("network_interface.0.subnet_id"). */
export type ResourceReplacements = Map<string, string[]>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One `replace_paths` element: a list of steps (attribute names and list/map keys), or a bare value. */
function pathText(p: unknown): string {
  if (Array.isArray(p)) return p.map((s) => (typeof s === 'string' ? s : JSON.stringify(s) ?? String(s))).join('.');
  return typeof p === 'string' ? p : (JSON.stringify(p) ?? String(p));
}

function isNoOp(actions: unknown): boolean {
  return Array.isArray(actions) && actions.length === 1 && actions[0] === 'no-op';
}

/**
 * Finds the resources a plan replaces and why: entries of `resource_changes` whose
 * `change.actions` is not a no-op and whose `change.replace_paths` is non-empty. Herald's own
 * virtual resources (`coder_*` types) are skipped. Anything that is not a plan yields nothing.
 */
export function findResourceReplacements(plan: unknown): ResourceReplacements {
  const out: ResourceReplacements = new Map();
  if (!isObj(plan) || !Array.isArray(plan.resource_changes)) return out;
  for (const rc of plan.resource_changes) {
    if (!isObj(rc) || !isObj(rc.change)) continue;
    const change = rc.change;
    if (isNoOp(change.actions)) continue;
    if (!Array.isArray(change.replace_paths) || change.replace_paths.length === 0) continue;
    const type = typeof rc.type === 'string' ? rc.type : '';
    if (type.startsWith('coder_')) continue;
    const address = typeof rc.address === 'string' && rc.address ? rc.address : `${type}.${String(rc.name ?? '')}`;
    const paths = out.get(address) ?? [];
    for (const p of change.replace_paths) paths.push(pathText(p));
    out.set(address, paths);
  }
  return out;
}

/** `data.replacements` of the Resource Replaced notification: address → "p1, p2". */
export function replacementsData(r: ResourceReplacements): Record<string, string> {
  return Object.fromEntries([...r].map(([address, paths]) => [address, paths.join(', ')]));
}
