/** Matchers shared by the unit tests. */
import { strict as assert } from 'node:assert';
import type { DomainError } from '../../src/domain/errors';

/** A matcher for `assert.rejects`: the error is a `type` with this message key (and these params, when given). */
export function domainError(type: abstract new (...args: never[]) => DomainError, messageKey: string, params?: Record<string, unknown>) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.equal(err.messageKey, messageKey);
    if (params) assert.deepEqual(err.params, params);
    return true;
  };
}

/** The domain functions throw synchronously; the convention is `await assert.rejects`, so wrap them. */
export async function rejects(fn: () => unknown, matcher: (err: unknown) => boolean): Promise<void> {
  await assert.rejects(async () => fn(), matcher);
}

/** Freezes a value deeply, so a function that mutates its input throws. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
