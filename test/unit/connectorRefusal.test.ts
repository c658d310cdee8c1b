/** How the notifier reads a Bot Connector refusal: by Teams' documented error codes, never by words in a message. */
import { strict as assert } from 'node:assert';
import { connectorRefusalOf } from '../../src/teams/connectorErrors';

/** What the SDK throws for an error answer: the status, and the parsed body as `details`. */
function refused(statusCode: number, body: unknown, message = 'the message'): Error {
  return Object.assign(new Error(message), { statusCode, details: body });
}

const coded = (statusCode: number, code: string, message = 'as documented') => refused(statusCode, { error: { code, message } }, message);

describe('connectorRefusalOf: Bot Connector refusals by their documented meaning', () => {
  it('a gone conversation or a bot out of it is stale: forget it and reach the person again', () => {
    assert.equal(connectorRefusalOf(coded(404, 'ConversationNotFound')).kind, 'stale');
    assert.equal(connectorRefusalOf(coded(403, 'BotNotInConversationRoster')).kind, 'stale');
    assert.equal(connectorRefusalOf(coded(403, 'ForbiddenOperationException')).kind, 'stale');
  });

  it('MessageWritesBlocked, in the documented body (subCode inside the JSON text of message), is blocked', () => {
    const body = {
      errorCode: 209,
      message: '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
    };
    assert.deepEqual(connectorRefusalOf(refused(403, body, body.message)), {
      status: 403,
      code: 'MessageWritesBlocked',
      kind: 'blocked',
      description: 'Bot Connector 403 MessageWritesBlocked: Thread is blocked from message writes.',
    });
    assert.equal(connectorRefusalOf(coded(403, 'ConversationBlockedByUser')).kind, 'blocked');
  });

  it('an admin-disabled bot may not reach the person: notInstalled', () => {
    assert.equal(connectorRefusalOf(coded(403, 'BotDisabledByAdmin')).kind, 'notInstalled');
  });

  it('anything else failed, whatever its message says; no code is guessed from words', () => {
    assert.equal(connectorRefusalOf(coded(403, 'NotEnoughPermissions', 'ConversationBlockedByUser? no')).kind, 'failed');
    assert.equal(connectorRefusalOf(refused(404, undefined, 'ConversationNotFound')).kind, 'failed');
    assert.equal(connectorRefusalOf(coded(403, 'InvalidBotApiHost')).kind, 'failed');
    assert.equal(connectorRefusalOf(coded(500, 'ServiceError')).kind, 'failed');
    assert.deepEqual(connectorRefusalOf(new Error('socket hang up')), { code: '', kind: 'failed', description: 'socket hang up' });
  });

  it('describes a refusal with its status, code and documented message', () => {
    assert.equal(connectorRefusalOf(coded(404, 'ConversationNotFound', 'Conversation not found.')).description, 'Bot Connector 404 ConversationNotFound: Conversation not found.');
  });
});
