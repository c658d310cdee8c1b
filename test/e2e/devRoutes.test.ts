/** CONTRACT §3: POST /api/dev/clock and /api/dev/tick, in local mode only. */
import { strict as assert } from 'node:assert';
import { startE2eBot, type E2eBot } from './support';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(bot: E2eBot, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  const response = await fetch(`${bot.app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('e2e: dev routes', function () {
  this.timeout(60_000);

  describe('in local mode', () => {
    let bot: E2eBot;
    before(async () => {
      bot = await startE2eBot();
    });
    after(() => bot?.stop());

    it('moves the clock by a duration, and to an instant', async () => {
      const before = bot.app.clock.now().getTime();
      const advanced = await post(bot, '/api/dev/clock', JSON.stringify({ advance: 'P3D' }));
      assert.equal(advanced.status, 200, JSON.stringify(advanced.body));
      const now = Date.parse(String(advanced.body.now));
      assert.ok(Math.abs(now - (before + 3 * 86_400_000)) < 5_000, String(advanced.body.now));
      assert.ok(Math.abs(bot.app.clock.now().getTime() - now) < 5_000, 'the bot runs on the moved clock');

      const set = await post(bot, '/api/dev/clock', JSON.stringify({ now: '2026-12-01T09:00:00Z' }));
      assert.equal(set.status, 200);
      assert.match(String(set.body.now), /^2026-12-01T09:00:0\d\.\d{3}Z$/);
      assert.ok(bot.app.clock.now().getTime() - Date.parse('2026-12-01T09:00:00Z') < 5_000);
    });

    const bad: Array<[string, string | undefined, RegExp]> = [
      ['no body', undefined, /must be a JSON object/],
      ['an empty object', '{}', /exactly one of "advance" or "now"/],
      ['both keys', '{"advance":"P1D","now":"2026-12-01T09:00:00Z"}', /exactly one of "advance" or "now"/],
      ['another key', '{"by":"P1D"}', /exactly one of "advance" or "now"/],
      ['a number', '{"advance":3}', /"advance" must be a string/],
      ['months', '{"advance":"P1M"}', /years or months/],
      ['not a duration', '{"advance":"3 days"}', /not an ISO 8601 duration/],
      ['not an instant', '{"now":"next monday"}', /not an ISO 8601 date and time/],
      ['an array', '["P1D"]', /must be a JSON object/],
      ['broken JSON', '{"advance":', /JSON/],
    ];
    for (const [what, body, message] of bad) {
      it(`answers 400 with a sentence for ${what}, and leaves the clock alone`, async () => {
        const before = bot.app.clock.now().getTime();
        const answer = await post(bot, '/api/dev/clock', body);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(typeof answer.body.error, 'string', JSON.stringify(answer.body));
        assert.match(String(answer.body.error), message);
        assert.match(String(answer.body.error), /^[A-Z"].*\.$/, 'a sentence');
        assert.ok(bot.app.clock.now().getTime() - before < 5_000);
      });
    }

    it('runs a tick and answers its summary', async () => {
      const answer = await post(bot, '/api/dev/tick');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.ran, true);
      assert.equal(answer.body.due, 0);
      assert.equal(typeof answer.body.byKind, 'object');
    });
  });

  describe('with BOT_ID set (not local mode)', () => {
    let bot: E2eBot;
    before(async () => {
      bot = await startE2eBot({
        BOT_ID: '00000000-aaaa-4bbb-8ccc-000000000001',
        BOT_PASSWORD: 'not-a-real-secret',
        TENANT_ID: '00000000-aaaa-4bbb-8ccc-0000000000ff',
        CATALOG_FILE: 'catalog.sample.json',
      });
    });
    after(() => bot?.stop());

    it('answers 404 on both paths, and runs on the system clock', async () => {
      assert.equal((await post(bot, '/api/dev/clock', '{"advance":"P3D"}')).status, 404);
      assert.equal((await post(bot, '/api/dev/tick')).status, 404);
      assert.ok(Math.abs(bot.app.clock.now().getTime() - Date.now()) < 1_000);
    });
  });
});
