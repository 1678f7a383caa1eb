import { windowBounds } from './windows';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('limit windows', () => {
  it('aligns minute and 5h windows to the epoch', () => {
    const minute = windowBounds('minute', at('2025-03-04T10:11:12.345Z'));
    expect([iso(minute.start), iso(minute.end)]).toEqual(['2025-03-04T10:11:00.000Z', '2025-03-04T10:12:00.000Z']);
    // 2025-03-04T00:00Z is 483,624 hours after the epoch, 4 hours into a 5-hour step: steps that
    // day start at 01:00, 06:00, 11:00, ...
    const five = windowBounds('5h', at('2025-03-04T10:11:12Z'));
    expect([iso(five.start), iso(five.end)]).toEqual(['2025-03-04T06:00:00.000Z', '2025-03-04T11:00:00.000Z']);
  });

  it('uses UTC calendar days, ISO weeks and months', () => {
    const day = windowBounds('daily', at('2025-03-04T23:59:59.999Z'));
    expect([iso(day.start), iso(day.end)]).toEqual(['2025-03-04T00:00:00.000Z', '2025-03-05T00:00:00.000Z']);
    // 2025-03-09 is a Sunday: its week began on Monday the 3rd.
    const week = windowBounds('weekly', at('2025-03-09T12:00:00Z'));
    expect([iso(week.start), iso(week.end)]).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    const monday = windowBounds('weekly', at('2025-03-10T00:00:00Z'));
    expect(iso(monday.start)).toBe('2025-03-10T00:00:00.000Z');
    const month = windowBounds('monthly', at('2024-12-31T23:00:00Z'));
    expect([iso(month.start), iso(month.end)]).toEqual(['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    const leap = windowBounds('monthly', at('2024-02-29T10:00:00Z'));
    expect(iso(leap.end)).toBe('2024-03-01T00:00:00.000Z');
  });
});
