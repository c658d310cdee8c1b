/**
 * The dev clock drives every wait (issue 10): a delivery whose Graph writes keep failing transiently backs off
 * 5, 10, 20, 40 s by the bot's clock. `POST /api/dev/tick` after moving the clock runs the retries whose backoff
 * is over, and answers once they are done, so the request reaches partiallyDelivered and the managers' channel is
 * alerted after a few clock moves, in seconds of real time instead of minutes of real timers.
 */
import { strict as assert } from 'node:assert';
import { cardOf, cardText } from '../support/fakeConnector';
import { personalConversationId } from '../support/teamsClient';
import { alertThread, PEOPLE, requestApproved, SALES_CHANNEL, startE2eBotWithEveryoneInstalled, type E2eBot } from './support';

const MEMBERSHIP_WRITE = /^\/groups\/[^/]+\/members\/\$ref$/;

describe('e2e: the dev clock drives delivery retries', function () {
  this.timeout(60_000);
  let bot: E2eBot;

  before(async () => {
    bot = await startE2eBotWithEveryoneInstalled();
    assert.equal((await bot.teams.sayInChannel(PEOPLE.patti, 'hello', SALES_CHANNEL)).status, 200);
  });
  after(() => bot?.stop());

  it('a delivery that keeps failing is retried at each tick past its backoff, then ends partly delivered and alerts the channel', async () => {
    bot.graph.failNext({ method: 'POST', path: MEMBERSHIP_WRITE, status: 503, retryAfterInSeconds: 0, times: Number.POSITIVE_INFINITY });
    const started = Date.now();
    const requestId = await requestApproved(bot, PEOPLE.adele);
    const membershipAttempts = () => bot.graph.writes().filter((w) => MEMBERSHIP_WRITE.test(w.path.replace('/v1.0', ''))).length;
    const afterFirstDelivery = membershipAttempts();
    assert.ok(afterFirstDelivery >= 1, 'the first delivery tried the membership');

    // Not due yet: a tick without moving the clock retries nothing.
    assert.equal((await bot.advanceAndTick('PT0S')).retried, 0);
    assert.equal(membershipAttempts(), afterFirstDelivery);

    const retried: number[] = [];
    for (let tick = 0; tick < 4; tick++) retried.push((await bot.advanceAndTick('PT1M')).retried ?? 0);
    assert.deepEqual(retried, [1, 1, 1, 1], 'each tick retried the delivery once (attempts 2 to 5)');

    const status = bot.connector.activities().filter((a) => a.kind === 'update' && a.conversationId === personalConversationId(PEOPLE.adele)).at(-1);
    assert.match(cardText(cardOf(status)), /Partially delivered/);
    assert.match(cardText(cardOf(alertThread(bot, requestId))), /Partly delivered/);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms of real time`);
  });
});
