// How the Reports area says a value of the report API (docs/reports.md, "The report API"), and the period presets.
// Pure functions: no DOM, no store.
// - Units: `count` (1,234), `percent` (87.5 %), `score` (NPS, −100 to +100: "+40", "−12.5"), `seconds` (a human
//   duration: "0.3 s", "45 s", "1 min 05 s", "2 h 05 min", "3 d 4 h"), `date` (ISO, as given), `text` (as given).
// - null is "—" (no data, never 0); an approximate value (a median or p90 read from day buckets) gets "≈" in front.
// - Presets (Today, Yesterday, Last 7 days, Last 30 days) are report days on the tenant's clock, an IANA zone.

const NUMBER = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const MINUS = '\u2212';

export const NO_DATA = '—';
export const APPROX = '≈';

// "1 min 05 s": the two largest units, in whole seconds (rounded half up, as the CSV does); under 10 s to the tenth
// ("0.3 s"), since a quick first response is worth telling from none.
export function duration(seconds) {
  const exact = Number(seconds);
  if (exact < 9.95) return `${NUMBER.format(Math.round(exact * 10) / 10)} s`;
  const total = Math.floor(exact + 0.5);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${String(total % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

// What a value says, by its unit; `approximate` puts "≈" before it.
export function formatValue(value, unit, approximate = false) {
  if (value === null || value === undefined || value === '') return NO_DATA;
  const said = bare(value, unit);
  return approximate ? `${APPROX} ${said}` : said;
}

function bare(value, unit) {
  const number = Number(value);
  switch (unit) {
    case 'count': return Number.isFinite(number) ? NUMBER.format(number) : String(value);
    case 'percent': return Number.isFinite(number) ? `${NUMBER.format(number)} %` : String(value);
    case 'score':
      if (!Number.isFinite(number)) return String(value);
      return number > 0 ? `+${NUMBER.format(number)}` : number < 0 ? `${MINUS}${NUMBER.format(-number)}`
        : NUMBER.format(0);
    case 'seconds': return Number.isFinite(number) ? duration(number) : String(value);
    default: return String(value); // date (ISO), text
  }
}

// A value for a chart's y axis: a number, or null for no data.
export function plotted(value) {
  if (value === null || value === undefined || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

// Today's date (YYYY-MM-DD) on the clock of `zone` (an IANA name) at the instant `now`.
export function todayIn(zone, now = new Date()) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .format(now);
  } catch {
    return now.toISOString().slice(0, 10); // an unknown zone: UTC's date
  }
}

// The ISO date `days` after `iso` (negative: before); calendar days, whatever the zone's daylight saving does.
export function addDays(iso, days) {
  const moment = new Date(`${iso}T00:00:00Z`);
  moment.setUTCDate(moment.getUTCDate() + days);
  return moment.toISOString().slice(0, 10);
}

export const PRESETS = [['today', 'Today'], ['yesterday', 'Yesterday'], ['last7', 'Last 7 days'],
  ['last30', 'Last 30 days']];

// {from, to} of a preset, both included, on the clock of `zone`.
export function presetPeriod(preset, zone, now = new Date()) {
  const today = todayIn(zone, now);
  switch (preset) {
    case 'yesterday': { const day = addDays(today, -1); return { from: day, to: day }; }
    case 'last7': return { from: addDays(today, -6), to: today };
    case 'last30': return { from: addDays(today, -29), to: today };
    default: return { from: today, to: today };
  }
}
