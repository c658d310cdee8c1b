import { strict as assert } from 'node:assert';
import { DevClock, DevClockError, parseInstant, parseIsoDuration } from '../../src/local/devClock';
import { ManualClock } from '../support/fakes';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('DevClock', () => {
  it('follows its base clock until moved', () => {
    const base = new ManualClock('2026-03-02T09:00:00.000Z');
    const clock = new DevClock(base);
    assert.equal(clock.now().toISOString(), '2026-03-02T09:00:00.000Z');
    base.advance(1500);
    assert.equal(clock.now().toISOString(), '2026-03-02T09:00:01.500Z');
  });

  it('advances by ISO 8601 durations and keeps running from there', () => {
    const base = new ManualClock('2026-03-02T09:00:00.000Z');
    const clock = new DevClock(base);
    assert.equal(clock.advance('P3D').toISOString(), '2026-03-05T09:00:00.000Z');
    assert.equal(clock.advance('PT2H').toISOString(), '2026-03-05T11:00:00.000Z');
    assert.equal(clock.advance('P1DT12H').toISOString(), '2026-03-06T23:00:00.000Z');
    base.advance(60_000);
    assert.equal(clock.now().toISOString(), '2026-03-06T23:01:00.000Z');
  });

  it('is set to an instant, forwards or backwards', () => {
    const base = new ManualClock('2026-03-02T09:00:00.000Z');
    const clock = new DevClock(base);
    assert.equal(clock.set('2026-12-01T09:00:00Z').toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(clock.set('2026-01-01T18:00:00+09:00').toISOString(), '2026-01-01T09:00:00.000Z');
    base.advance(1000);
    assert.equal(clock.now().toISOString(), '2026-01-01T09:00:01.000Z');
  });

  it('runs on the system clock by default', () => {
    const clock = new DevClock();
    assert.ok(Math.abs(clock.now().getTime() - Date.now()) < 1000);
  });

  it('refuses a bad duration or instant and stays where it was', () => {
    const clock = new DevClock(new ManualClock('2026-03-02T09:00:00.000Z'));
    assert.throws(() => clock.advance('3 days'), DevClockError);
    assert.throws(() => clock.set('tomorrow'), DevClockError);
    assert.equal(clock.now().toISOString(), '2026-03-02T09:00:00.000Z');
  });
});

describe('parseIsoDuration', () => {
  const accepted: Array<[string, number]> = [
    ['P3D', 3 * DAY],
    ['PT2H', 2 * HOUR],
    ['P1DT12H', 36 * HOUR],
    ['P2W', 14 * DAY],
    ['PT90M', 90 * 60_000],
    ['PT1.5S', 1500],
    ['PT0,25S', 250],
    ['P1DT2H3M4S', DAY + 2 * HOUR + 3 * 60_000 + 4000],
    ['P0D', 0],
  ];
  for (const [text, ms] of accepted) {
    it(`reads ${text}`, () => assert.equal(parseIsoDuration(text), ms));
  }

  for (const text of ['P1Y', 'P2M', 'P1Y2M3D', 'P1MT2H']) {
    it(`refuses ${text}, saying years and months are ambiguous`, () => {
      assert.throws(() => parseIsoDuration(text), (err: Error) => err instanceof DevClockError && /years or months, whose length depends on the date/.test(err.message));
    });
  }

  for (const text of ['', 'P', 'PT', 'P1DT', '3D', 'P-1D', '-P1D', 'P1.5D', 'PT1H30', 'p3d', 'P3D ', 'P1H']) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseIsoDuration(text), (err: Error) => err instanceof DevClockError && /is not an ISO 8601 duration such as P3D/.test(err.message));
    });
  }
});

describe('parseInstant', () => {
  it('reads a date and time with Z or an offset', () => {
    assert.equal(parseInstant('2026-12-01T09:00:00Z').toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(parseInstant('2026-12-01T09:00Z').toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(parseInstant('2026-12-01T09:00:00.250-05:00').toISOString(), '2026-12-01T14:00:00.250Z');
  });

  for (const text of ['2026-12-01', '2026-12-01T09:00:00', 'December 1, 2026', '2026-13-01T09:00:00Z', '']) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseInstant(text), /is not an ISO 8601 date and time with a time zone/);
    });
  }
});
