import { strict as assert } from 'node:assert';
import { ValidationError } from '../../src/domain/errors';
import { parseReprocessPayload } from '../../src/teams/payloads';
import { domainError, rejects } from '../support/assertions';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('Reprocess card data', () => {
  it('takes the alert card’s requestId, or the comma-separated multi-select, without duplicates', () => {
    assert.deepEqual(parseReprocessPayload({ requestId: id(1), version: 4 }), [id(1)]);
    assert.deepEqual(parseReprocessPayload({ requestIds: `${id(1)}, ${id(2)},${id(1)}` }), [id(1), id(2)]);
  });

  it('refuses an empty selection, more than 20, and anything that is not a request id', async () => {
    await rejects(() => parseReprocessPayload({ requestIds: '' }), domainError(ValidationError, 'error.nothingSelected'));
    await rejects(() => parseReprocessPayload({}), domainError(ValidationError, 'error.nothingSelected'));
    const many = Array.from({ length: 21 }, (_, i) => id(i)).join(',');
    await rejects(() => parseReprocessPayload({ requestIds: many }), domainError(ValidationError, 'error.tooManySelected', { max: 20 }));
    await rejects(() => parseReprocessPayload({ requestIds: 'x,y' }), domainError(ValidationError, 'error.badAction'));
    await rejects(() => parseReprocessPayload({ requestId: 'not-a-guid' }), domainError(ValidationError, 'error.badAction'));
    await rejects(() => parseReprocessPayload({ requestIds: 5 }), domainError(ValidationError, 'error.badAction'));
  });
});
