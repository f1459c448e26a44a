/**
 * PHP-style form encoding, as Moodle's REST server reads it:
 * `courseids[0]=2`, `options[0][name]=x`, `courses[0][fullname]=...`.
 */

/** A decoded PHP-style form: strings at the leaves, objects for every bracket level (`{"0": ..}` for lists). */
export type PhpFormValue = string | { [key: string]: PhpFormValue };

/**
 * Flattens arguments into `[name, value]` pairs in PHP bracket notation.
 * Booleans become `1`/`0` (Moodle's PARAM_BOOL), numbers their decimal text; `null` and `undefined`
 * are left out (a form cannot carry null: Moodle then applies the parameter's default or null).
 */
export function flattenForm(args: Record<string, unknown>): [string, string][] {
  const pairs: [string, string][] = [];
  const visit = (value: unknown, name: string) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${name}[${i}]`));
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) visit(item, `${name}[${key}]`);
    } else if (typeof value === 'boolean') {
      pairs.push([name, value ? '1' : '0']);
    } else {
      pairs.push([name, String(value)]);
    }
  };
  for (const [key, value] of Object.entries(args)) visit(value, key);
  return pairs;
}

/** Encodes arguments as an `application/x-www-form-urlencoded` body in PHP bracket notation. */
export function encodeForm(args: Record<string, unknown>): string {
  return new URLSearchParams(flattenForm(args)).toString();
}

const NAME = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/**
 * Decodes a urlencoded body the way PHP fills `$_POST`: `a[b][0]=x` becomes `{a: {b: {"0": "x"}}}`.
 * `a[]=x` appends with the next integer key. A later scalar for the same name replaces the earlier one.
 */
export function decodeForm(body: string | URLSearchParams): Record<string, PhpFormValue> {
  const params = typeof body === 'string' ? new URLSearchParams(body) : body;
  const root: Record<string, PhpFormValue> = {};
  for (const [name, value] of params) {
    const match = NAME.exec(name);
    if (!match) {
      root[name] = value;
      continue;
    }
    const keys = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
    let node: Record<string, PhpFormValue> = root;
    keys.forEach((rawKey, i) => {
      const key = rawKey === '' ? String(nextIndex(node)) : rawKey;
      if (i === keys.length - 1) {
        node[key] = value;
        return;
      }
      const child = node[key];
      if (typeof child !== 'object') node[key] = {};
      node = node[key] as Record<string, PhpFormValue>;
    });
  }
  return root;
}

function nextIndex(node: Record<string, PhpFormValue>): number {
  const ints = Object.keys(node).filter((k) => /^\d+$/.test(k)).map(Number);
  return ints.length ? Math.max(...ints) + 1 : 0;
}
