import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

/** Evaluates one entrypoint of a loaded policy and returns its result set (`[{ result }]`), like `LoadedPolicy.evaluate`. */
export type Evaluate = (input: unknown) => unknown;

interface OpaEvalExports {
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: number): number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PAGE = 64 * 1024;

/**
 * The decision hot path. opa-wasm's own `evaluate` makes, on every call, a JSON string, a fresh TextEncoder, an
 * encoded copy, a fresh TextDecoder and a byte-by-byte scan for the result's end; this calls the same one-shot
 * export (`opa_eval`, WASM ABI ≥ 1.2) with the input encoded straight into the instance's memory. opa-wasm still
 * instantiates the module, provides the builtins and loads `data`; this only replaces the per-call glue, and falls
 * back to `policy.evaluate` when the instance does not offer what it needs (an older ABI or opa-wasm).
 */
export function evaluator(policy: LoadedPolicy, entrypoint: string): Evaluate {
  const id: unknown = policy.entrypoints?.[entrypoint];
  const instance = 'exports' in policy.wasmInstance ? policy.wasmInstance : policy.wasmInstance.instance;
  const exports = instance.exports as Partial<OpaEvalExports>;
  if (typeof id !== 'number' || !(Number(policy.minorVersion) >= 2) || typeof exports.opa_eval !== 'function') {
    return (input) => policy.evaluate(input, entrypoint);
  }
  const opaEval = exports.opa_eval.bind(exports);
  const memory = policy.mem;
  return (input) => {
    // Between evaluations, everything above the data (dataHeapPtr, moved by setData) is free: the input goes there.
    const heapAddr: number = policy.dataHeapPtr;
    let written = 0;
    if (input !== undefined) {
      const json = JSON.stringify(input);
      const maxLen = json.length * 3; // UTF-8 never needs more than 3 bytes per UTF-16 code unit
      const missing = heapAddr + maxLen - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
      written = encoder.encodeInto(json, new Uint8Array(memory.buffer, heapAddr, maxLen)).written;
    }
    const resultAddr = opaEval(0, id, policy.dataAddr, written ? heapAddr : 0, written, heapAddr + written, 0);
    const bytes = new Uint8Array(memory.buffer); // after the call: the evaluation may have grown the memory
    const end = bytes.indexOf(0, resultAddr);
    return JSON.parse(decoder.decode(bytes.subarray(resultAddr, end < 0 ? bytes.length : end)));
  };
}
