import { DeltaLimits } from './limits.ts';
import type { Delta, DeltaContent } from './types.ts';

/**
 * A hand-written twin of the zod schemas in schema.ts for the hot path (every delta received is
 * validated). It must never accept what zod rejects; when it says no, `parseDelta` asks zod,
 * which stays the single source of the error (code, path, message). A property test checks
 * that both agree on random valid and invalid input.
 */

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const { maxNameLength, maxStringLength, maxPointers, maxTimeCreated } = DeltaLimits;

function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= maxNameLength;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when every key (own or inherited and enumerable, as zod sees them) is in `allowed`. */
function hasOnlyKeys(record: Record<string, unknown>, allowed: (key: string) => boolean): boolean {
  for (const key in record) if (!allowed(key)) return false;
  return true;
}

const isPointerKey = (key: string) => key === 'localContext' || key === 'target' || key === 'targetContext';
const isContentKey = (key: string) =>
  key === 'timeCreated' || key === 'host' || key === 'creator' || key === 'pointers';
const isDeltaKey = (key: string) => isContentKey(key) || key === 'id' || key === 'signature';

function isValidPointer(value: unknown): boolean {
  if (!isRecord(value) || !hasOnlyKeys(value, isPointerKey)) return false;
  if (!isName(value.localContext)) return false;
  const target = value.target;
  let isReference = false;
  switch (typeof target) {
    case 'string':
      if (target.length > maxStringLength) return false;
      break;
    case 'number':
      if (!Number.isFinite(target)) return false;
      break;
    case 'boolean':
      break;
    case 'object':
      if (target === null) break;
      if (!isRecord(target) || !isName(target.id) || !hasOnlyKeys(target, (key) => key === 'id')) return false;
      isReference = true;
      break;
    default:
      return false;
  }
  const targetContext = value.targetContext;
  if (targetContext === undefined) return true;
  return isReference && isName(targetContext);
}

function isValidContentFields(value: Record<string, unknown>): boolean {
  const time = value.timeCreated;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0 || time > maxTimeCreated) return false;
  if (!isName(value.host) || !isName(value.creator)) return false;
  const pointers = value.pointers;
  if (!Array.isArray(pointers) || pointers.length < 1 || pointers.length > maxPointers) return false;
  for (let i = 0; i < pointers.length; i++) {
    if (!isValidPointer(pointers[i])) return false;
  }
  return true;
}

/** True when zod's `deltaContentSchema` would accept `value` (never true when it would not). */
export function isValidDeltaContentShape(value: unknown): value is DeltaContent {
  return isRecord(value) && hasOnlyKeys(value, isContentKey) && isValidContentFields(value);
}

/** True when zod's `deltaSchema` would accept `value` (never true when it would not). */
export function isValidDeltaShape(value: unknown): value is Delta {
  if (!isRecord(value) || !hasOnlyKeys(value, isDeltaKey)) return false;
  const id = value.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return false;
  const signature = value.signature;
  if (signature !== undefined && (typeof signature !== 'string' || signature.length > maxNameLength)) return false;
  return isValidContentFields(value);
}
