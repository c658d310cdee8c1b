/** The `status` card, a page at a time: sections and their order, how many are not shown, and "Show more". */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { CURRENT_PER_PAGE, HISTORY_PER_PAGE } from '../../src/app/statusPage';
import type { AccessRequest, RequestState } from '../../src/domain/request';
import { en } from '../../src/teams/i18n/en';
import { ja } from '../../src/teams/i18n/ja';
import { VERBS } from '../../src/teams/verbs';
import { renderMyRequests } from '../../src/teams/views';
import { parseCard } from '../support/adaptiveCards';
import { cardActions, cardText } from '../support/fakeConnector';
import { NOW, buildRequest, deliveredRequest, withResourceNames } from '../support/requestFixtures';
import { statusSections as sections } from '../support/statusCard';

type Json = Record<string, unknown>;

/** Teams refuses bot messages over 28 KB (as test/unit/cards.test.ts). */
const MAX_CARD_BYTES = 28 * 1024;

function named(state: RequestState, packageName: string, extra: Partial<AccessRequest> = {}): AccessRequest {
  const base = state === 'delivered' || state === 'partiallyDelivered' ? withResourceNames(deliveredRequest()) : buildRequest();
  return { ...base, id: randomUUID(), state, packageName, ...extra };
}

/** Newest first, mixed: what a page of statusPage hands the view (current ones first, then finished). */
function mixedPage(): AccessRequest[] {
  return [
    named('pendingApproval', 'Marketing assets'),
    named('delivered', 'Sales team', { accessEndsAt: undefined, endDate: undefined }),
    named('scheduled', 'Travel tool', { stages: [] }),
    named('partiallyDelivered', 'CRM users'),
    named('deliveryFailed', 'Expense report viewers'),
    named('delivering', 'Finance reports'),
    named('denied', 'Payroll viewers'),
    named('canceled', 'Design assets'),
    named('accessExpired', 'Old CRM users'),
    named('expired', 'Legal archive'),
  ];
}

describe('status card, a page at a time', () => {
  it('every access first, then the open requests, then the finished ones, each newest first', () => {
    const card = renderMyRequests({ requests: mixedPage() }, 'en', { now: NOW });
    assert.deepEqual(sections(card), {
      'Your access': ['Sales team', 'CRM users'],
      'Open requests': ['Marketing assets', 'Travel tool', 'Expense report viewers', 'Finance reports'],
      'Recent requests': ['Payroll viewers', 'Design assets', 'Old CRM users', 'Legal archive'],
    });
    const text = cardText(card);
    assert.ok(text.includes('Payroll viewers\nDenied · submitted Mar 2, 2026'), text);
    assert.ok(text.includes('Old CRM users\nAccess ended · submitted Mar 2, 2026'), text);
  });

  it('a Give up access button on each access row, nothing on the others; no "more" when nothing follows', () => {
    const requests = mixedPage();
    const card = renderMyRequests({ requests }, 'en', { now: NOW });
    assert.deepEqual(
      cardActions(card).map((a) => [a.verb, a.data?.requestId]),
      [
        [VERBS.releaseAccess, requests[1].id],
        [VERBS.releaseAccess, requests[3].id],
      ],
    );
    assert.doesNotMatch(cardText(card), /Not shown here/);
  });

  it('says how many access rows and open requests are not shown, and "Show more" carries the cursor alone', () => {
    const card = renderMyRequests({ requests: mixedPage(), notShown: 7, more: 'eyJjIjpbMSwiYSJdfQ' }, 'en', { now: NOW });
    assert.match(cardText(card), /Not shown here: 7 more of your access and open requests\. "Show more" lists them\./);
    const more = cardActions(card).filter((a) => a.verb === VERBS.statusMore);
    assert.equal(more.length, 1);
    assert.equal(more[0].title, 'Show more');
    assert.deepEqual(more[0].data, { cursor: 'eyJjIjpbMSwiYSJdfQ' });
    // The button is last on the card, below the finished requests.
    const last = card.body.at(-1) as Json;
    assert.equal(last.type, 'ActionSet');

    const japanese = cardText(renderMyRequests({ requests: mixedPage(), notShown: 7, more: 'x' }, 'ja', { now: NOW }));
    assert.match(japanese, /ほかに 7 件あります/);
    assert.match(japanese, /さらに表示/);
    assert.match(japanese, /処理中の要求/);
  });

  it('"more" alone (older finished requests only) shows the button without a not-shown line', () => {
    const card = renderMyRequests({ requests: mixedPage().slice(6), more: 'abc' }, 'en', { now: NOW });
    assert.deepEqual(Object.keys(sections(card)), ['Recent requests']);
    assert.doesNotMatch(cardText(card), /Not shown here/);
    assert.deepEqual(cardActions(card).map((a) => a.verb), [VERBS.statusMore]);
  });

  it('a page reached with "more" says so; an empty one says there is nothing more', () => {
    const card = renderMyRequests({ requests: mixedPage().slice(6), continued: true }, 'en', { now: NOW });
    assert.equal(String((card.body[0] as Json).text), 'Your access and requests (continued)');
    assert.deepEqual(Object.keys(sections(card)), ['Earlier requests']);
    assert.match(cardText(renderMyRequests({ requests: [], continued: true }, 'en', { now: NOW })), /Nothing more to show/);
    assert.match(cardText(renderMyRequests({ requests: [], continued: true }, 'ja', { now: NOW })), /これ以上表示するものはありません/);
    assert.match(cardText(renderMyRequests({ requests: [] }, 'en', { now: NOW })), /no access packages and no requests yet/);
  });

  it('the fullest page stays far below the Teams limit and is valid for the Adaptive Cards SDK, in both languages', () => {
    const longName = (i: number) => `Regional sales analytics workspace ${i} (EMEA and APAC)`;
    const access = Array.from({ length: CURRENT_PER_PAGE }, (_, i) =>
      named('delivered', longName(i), {
        pendingExtension: { requestId: randomUUID(), requestedAt: NOW.toISOString(), newEndsAt: '2027-03-19T09:00:00.000Z' },
        removalStartedAt: i % 2 ? NOW.toISOString() : undefined,
      }),
    );
    const finished = Array.from({ length: HISTORY_PER_PAGE }, (_, i) => named('accessExpired', longName(100 + i)));
    for (const locale of ['en', 'ja'] as const) {
      const card = renderMyRequests({ requests: [...access, ...finished], notShown: 999, more: 'x'.repeat(120) }, locale, { now: NOW });
      const bytes = Buffer.byteLength(JSON.stringify(card));
      assert.ok(bytes <= MAX_CARD_BYTES, `${locale}: ${bytes} bytes`);
      const report = parseCard(card);
      assert.deepEqual([...report.parseEvents, ...report.validationEvents], [], locale);
    }
  });

  it('every word of the card is in both languages', () => {
    for (const key of Object.keys(en).filter((k) => k.startsWith('myRequests.'))) {
      assert.ok((ja as Record<string, string>)[key], key);
    }
  });
});
