import type { DeltaContent, Pointer, Target } from './types.ts';

/**
 * Canonical JSON of a delta's content: keys sorted, no whitespace, numbers as JavaScript prints
 * them (so `1.0` and `1` are one number and `-0` is `0`). Written by hand for the fixed shape
 * because it runs for every delta hashed; `canonicalJson` below is the general form.
 */
export function encodeCanonicalContent(content: DeltaContent): string {
  let out = '{"creator":' + quote(content.creator);
  out += ',"host":' + quote(content.host);
  out += ',"pointers":[';
  const pointers = content.pointers;
  for (let i = 0; i < pointers.length; i++) {
    if (i > 0) out += ',';
    out += encodePointer(pointers[i]!);
  }
  out += '],"timeCreated":' + encodeNumber(content.timeCreated) + '}';
  return out;
}

function encodePointer(pointer: Pointer): string {
  let out = '{"localContext":' + quote(pointer.localContext);
  out += ',"target":' + encodeTarget(pointer.target);
  if (pointer.targetContext !== undefined) {
    out += ',"targetContext":' + quote(pointer.targetContext);
  }
  return out + '}';
}

function encodeTarget(target: Target): string {
  if (target === null) return 'null';
  switch (typeof target) {
    case 'string':
      return quote(target);
    case 'number':
      return encodeNumber(target);
    case 'boolean':
      return target ? 'true' : 'false';
    default:
      return '{"id":' + quote(target.id) + '}';
  }
}

// Characters JSON.stringify would escape: quote, backslash, controls, and surrogates (it escapes
// lone ones; any surrogate sends the string down the exact path).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON string literal of `text`, exactly as JSON.stringify writes it; most strings need no escaping. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

function encodeNumber(value: number): string {
  // For a finite number (all that validation lets through) JSON.stringify writes what String
  // does, the shortest round-trip form, and String(-0) is already "0"; String is the faster.
  return String(value);
}

/** Canonical JSON of any JSON value (sorted keys, no whitespace, normalised numbers). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number') return Number.isFinite(value) ? encodeNumber(value) : 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return '{' + keys.map((key) => JSON.stringify(key) + ':' + canonicalJson(record[key])).join(',') + '}';
}
