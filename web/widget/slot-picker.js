// Guichet widget, callbox: the slot picker (a day, then a time range of that day) and the dates and times the
// callbox shows. Slots come from GET /callbacks/slots on the tenant's wall clock ({key, date, start, end, ...}); they
// are shown on that clock, in the visitor's language (Intl.DateTimeFormat), with the tenant's zone named when the
// visitor's own differs. A call time (`at`, `next_at`: UTC) is shown in the tenant's zone.

import { h } from './connection.js';

const KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}-\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;

// A wall-clock date and time as a Date in UTC: formatted with timeZone UTC, it reads as that wall clock.
function wallClock(date, time = '00:00') {
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute] = time.split(':').map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute));
}

function format(lang, options, moment) {
  try {
    return new Intl.DateTimeFormat(lang, options).format(moment);
  } catch { // an unknown zone (a stored value, an old browser): the visitor's own
    const { timeZone, ...rest } = options;
    return new Intl.DateTimeFormat(lang, rest).format(moment);
  }
}

// Only well-formed slots, in the server's order.
export function usableSlots(slots) {
  return Array.isArray(slots) ? slots.filter((slot) => slot && typeof slot.key === 'string' && KEY.test(slot.key)
    && DATE.test(slot.date) && TIME.test(slot.start) && TIME.test(slot.end)) : [];
}

export function dayLabel(lang, date) {
  return format(lang, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }, wallClock(date));
}

export function rangeLabel(lang, slot) {
  const time = (value) => format(lang, { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }, wallClock(slot.date, value));
  return `${time(slot.start)} – ${time(slot.end)}`;
}

// "Monday 7 December, 9:10" (withDay) or "9:10", in the tenant's zone; its name too when the visitor's differs.
export function momentLabel(lang, iso, zone, withDay = true) {
  const moment = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(moment.getTime())) return '';
  const options = { hour: 'numeric', minute: '2-digit', timeZone: zone || undefined };
  if (withDay) Object.assign(options, { weekday: 'long', day: 'numeric', month: 'long' });
  if (zone && zone !== visitorZone()) options.timeZoneName = 'short';
  return format(lang, options, moment);
}

function visitorZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return '';
  }
}

// The tenant's zone in words ("Central European Standard Time"), or '' when the visitor is in it already.
export function zoneName(lang, zone) {
  if (!zone || zone === visitorZone()) return '';
  try {
    const parts = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: 'long' }).formatToParts(new Date());
    return parts.find((part) => part.type === 'timeZoneName')?.value || zone;
  } catch {
    return '';
  }
}

// Two labelled selects, day and time; `id` makes their ids unique in the shadow root, `testId` their test ids.
export function createSlotPicker(id, testId) {
  const dayLabelElement = h('label', { for: `${id}-day` });
  const day = h('select', { id: `${id}-day`, class: 'field', 'data-testid': `${testId}-day` });
  const timeLabelElement = h('label', { for: `${id}-time` });
  const time = h('select', { id: `${id}-time`, class: 'field', 'data-testid': `${testId}-time` });
  const zone = h('p', { id: `${id}-zone`, class: 'hint', 'data-testid': `${testId}-zone`, hidden: '' });
  const element = h('div', { class: 'slot-picker' },
    h('div', { class: 'slot-field' }, dayLabelElement, day), h('div', { class: 'slot-field' }, timeLabelElement, time), zone);
  let slots = [];
  let lang = 'en';

  day.addEventListener('change', () => fillTimes(null));

  function fillTimes(selected) {
    const onDay = slots.filter((slot) => slot.date === day.value);
    time.replaceChildren(...onDay.map((slot) => h('option', { value: slot.key }, rangeLabel(lang, slot))));
    if (selected && onDay.some((slot) => slot.key === selected)) time.value = selected;
  }

  return {
    element,
    // The free slots; keeps the chosen slot if it is still free, else selects `preferred` (a key) or the first.
    fill(freeSlots, language, tenantZone, texts, preferred = null) {
      lang = language;
      dayLabelElement.textContent = texts.day;
      timeLabelElement.textContent = texts.time;
      const keep = preferred || time.value;
      slots = usableSlots(freeSlots);
      const days = [...new Set(slots.map((slot) => slot.date))];
      day.replaceChildren(...days.map((date) => h('option', { value: date }, dayLabel(lang, date))));
      const chosen = slots.find((slot) => slot.key === keep) || slots[0];
      if (chosen) day.value = chosen.date;
      fillTimes(chosen?.key);
      const name = zoneName(lang, tenantZone);
      zone.textContent = name ? texts.zone(name) : '';
      zone.hidden = !name;
      day.disabled = slots.length === 0;
      time.disabled = slots.length === 0;
    },
    value: () => (slots.some((slot) => slot.key === time.value) ? time.value : null),
    label(key) {
      const slot = slots.find((found) => found.key === key);
      return slot ? `${dayLabel(lang, slot.date)}, ${rangeLabel(lang, slot)}` : '';
    },
    // The first free slot after `key` (slots are in time order), else the first.
    nextAfter: (key) => (slots.find((slot) => slot.key > key) || slots[0] || null)?.key ?? null,
    isEmpty: () => slots.length === 0,
    focus: () => day.focus(),
  };
}
