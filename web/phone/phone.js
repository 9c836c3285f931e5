// The /phone page of the local stack: every emulated phone (each number Guichet dialled, or one scripted here) with
// its state and its buttons, what it does at its next rings, the emulator's timing and the recordings written. It
// polls the phone emulator's REST control (local/phone_control.py) and acts through it, as tests do. The rooms
// (callbacks' meetings) list who is in each: phones, and the desks' softphones with their mute state (issue 14).

import { html, render, useEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';

const CONTROL = '/__local__/phones';
const ROOMS = '/__local__/rooms';
const POLL_MS = 1000;

const STATE_NAMES = { idle: 'Idle', ringing: 'Ringing', 'in call': 'In call', 'hearing music': 'Hearing music',
  keypad: 'Asked for digits' };
const ANSWERED = ['in call', 'hearing music', 'keypad'];
const SCRIPTS = [['ring', 'Let it ring'], ['answer', 'Answer'], ['busy', 'Busy'], ['voicemail', 'Voicemail']];
// [action, label, the states in which it does something]
const BUTTONS = [
  ['answer', 'Answer', ['ringing']],
  ['busy', 'Busy', ['ringing']],
  ['ring', 'Let it ring', ['ringing']],
  ['voicemail', 'Voicemail', ['ringing']],
  ['hang_up', 'Hang up', ['ringing', ...ANSWERED]],
];

async function control(method, path = '', body = undefined) {
  const response = await fetch(`${CONTROL}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `the control answered ${response.status}`);
  return answer;
}

const slug = (number) => number.replace(/\D/g, '');
const path = (number) => `/${encodeURIComponent(number)}`;

function describe(phone) {
  const state = STATE_NAMES[phone.state] || phone.state;
  if (phone.state === 'idle') return state;
  const extra = [phone.voicemail && 'voicemail answered', phone.room && 'in the callback\'s room'].filter(Boolean);
  return extra.length ? `${state} (${extra.join(', ')})` : state;
}

function scriptText(phone) {
  const name = SCRIPTS.find(([kind]) => kind === phone.script)?.[1] ?? phone.script;
  const after = ['answer', 'voicemail'].includes(phone.script) && phone.after_seconds ? ` after ${phone.after_seconds} s` : '';
  const keys = phone.digits?.length ? `, types ${phone.digits.join(' then ')} when asked` : '';
  return `${name}${after}${phone.once ? ', next ring only' : ''}${keys}`;
}

// The script fields; their values are read from the form when it is sent (uncontrolled: polling never resets them).
function ScriptFields({ id, phone }) {
  return html`
    <label for=${`${id}-script`}>Next rings
      <select id=${`${id}-script`} name="script" data-testid="script-select">
        ${SCRIPTS.map(([kind, label]) => html`
          <option value=${kind} defaultSelected=${phone ? phone.script === kind : kind === 'answer'}>${label}</option>`)}
      </select>
    </label>
    <label for=${`${id}-after`}>Answer after (seconds)
      <input id=${`${id}-after`} name="after_seconds" type="number" min="0" max="3600" step="0.1"
        data-testid="script-after" defaultValue=${phone ? phone.after_seconds : 0} />
    </label>
    <label class="inline" for=${`${id}-once`}>
      <input id=${`${id}-once`} name="once" type="checkbox" data-testid="script-once" defaultChecked=${Boolean(phone?.once)} />
      Next ring only
    </label>
    <label for=${`${id}-digits`}>Digits to type when asked (one entry per ask, separated by spaces)
      <input id=${`${id}-digits`} name="digits" autocomplete="off" pattern="[0-9*#\\s]*" data-testid="script-digits"
        defaultValue=${(phone?.digits ?? []).join(' ')} />
    </label>`;
}

// The keypad of an answered call: digits typed now reach an action that asks for them (PlayAudioAndGetDigits).
function Keypad({ id, phone, type }) {
  const submit = (event) => {
    event.preventDefault();
    const input = event.currentTarget.elements.keys;
    type(phone.number, input.value.trim()).then((done) => { if (done) input.value = ''; });
  };
  const off = !ANSWERED.includes(phone.state);
  return html`
    <form class="keypad-form" aria-label=${`Keypad of ${phone.number}`} onSubmit=${submit}>
      <label for=${`${id}-keys`}>Type digits
        <input id=${`${id}-keys`} name="keys" inputmode="tel" autocomplete="off" required pattern="[0-9*#]{1,32}"
          data-testid="keypad-digits" disabled=${off} />
      </label>
      <button type="submit" data-testid="keypad-send" disabled=${off}>Send digits</button>
    </form>`;
}

const scriptOf = (form) => ({
  script: form.elements.script.value,
  after_seconds: Number(form.elements.after_seconds.value || 0),
  once: form.elements.once.checked,
  digits: form.elements.digits.value.split(/\s+/).filter(Boolean),
});

function Phone({ phone, act, setScript, type }) {
  const id = `phone-${slug(phone.number)}`;
  const submit = (event) => {
    event.preventDefault();
    setScript(phone.number, scriptOf(event.currentTarget));
  };
  return html`
    <li class="phone" data-testid=${id} data-number=${phone.number} data-state=${phone.state}
      aria-labelledby=${`${id}-title`}>
      <h3 id=${`${id}-title`}>${phone.number}</h3>
      <p class="phone-state" data-testid="phone-state">${describe(phone)}</p>
      <div class="buttons" role="group" aria-label=${`Buttons of ${phone.number}`}>
        ${BUTTONS.map(([action, label, when]) => html`
          <button type="button" data-action=${action} data-testid=${`press-${action}`}
            disabled=${!when.includes(phone.state)} onClick=${() => act(phone.number, action, label)}>${label}</button>`)}
      </div>
      <${Keypad} id=${id} phone=${phone} type=${type} />
      <p class="muted" data-testid="phone-script">Next rings: ${scriptText(phone)}</p>
      <form class="script-form" aria-label=${`Script of ${phone.number}`} onSubmit=${submit}>
        <${ScriptFields} id=${id} phone=${phone} />
        <button type="submit" data-testid="script-save">Set script</button>
      </form>
    </li>`;
}

function AddPhone({ setScript }) {
  const submit = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (await setScript(form.elements.number.value.trim(), scriptOf(form))) form.reset();
  };
  return html`
    <section aria-labelledby="add-title">
      <h2 id="add-title">Script a number before it is dialled</h2>
      <form class="add-form" onSubmit=${submit}>
        <label for="add-number">Number (E.164)
          <input id="add-number" name="number" required placeholder="+33612345678" pattern="\\+[1-9][0-9]{1,14}"
            autocomplete="off" data-testid="add-number" />
        </label>
        <${ScriptFields} id="add" phone=${null} />
        <button type="submit" data-testid="add-save">Add</button>
      </form>
    </section>`;
}

function Timing({ timing, save }) {
  const submit = (event) => {
    event.preventDefault();
    const { ring, scale } = event.currentTarget.elements;
    save({ ring_timeout_seconds: Number(ring.value), audio_scale: Number(scale.value) });
  };
  return html`
    <section aria-labelledby="timing-title">
      <h2 id="timing-title">Timing</h2>
      <form class="timing-form" onSubmit=${submit}>
        <label for="timing-ring">Ring timeout (seconds)
          <input id="timing-ring" name="ring" type="number" min="0.01" max="3600" step="any" required
            defaultValue=${timing.ring_timeout_seconds} />
        </label>
        <label for="timing-scale">Audio speed factor (1 is real time, 0.1 ten times faster)
          <input id="timing-scale" name="scale" type="number" min="0.0001" max="3600" step="any" required
            defaultValue=${timing.audio_scale} />
        </label>
        <button type="submit">Save timing</button>
      </form>
    </section>`;
}

// Each room with the phones and the browser attendees (desks' softphones: local/phone_browsers.py) in it.
function Rooms({ rooms }) {
  return html`
    <section aria-labelledby="rooms-title">
      <h2 id="rooms-title">Rooms</h2>
      ${rooms.length ? html`
        <ul class="rooms" data-testid="rooms">
          ${rooms.map((room) => html`
            <li key=${room.meeting_id} data-testid="room" data-meeting-id=${room.meeting_id}>
              <span>Room of callback ${room.external_meeting_id}: </span>
              ${[...room.phones.map((p) => p.number), ...room.browsers.map((b) => html`<span data-testid="room-browser"
                data-muted=${String(b.muted)}>desk ${b.external_user_id}${b.muted ? ' (muted)' : ''}</span>`)]
                .flatMap((who, i) => (i ? [', ', who] : [who]))}
              ${room.phones.length + room.browsers.length ? null : 'nobody'}
            </li>`)}
        </ul>` : html`<p class="muted">None open.</p>`}
    </section>`;
}

function App() {
  const [data, setData] = useState(null);
  const [recordings, setRecordings] = useState([]);
  const [rooms, setRooms] = useState([]);
  const [error, setError] = useState('');
  const [said, setSaid] = useState('');
  const seen = useRef(new Map());

  async function refresh() {
    try {
      const [found, written, open] = await Promise.all([control('GET'), control('GET', '/recordings'),
        fetch(ROOMS).then((response) => response.json())]);
      setRooms(open.rooms ?? []);
      const rang = found.phones.filter((p) => p.state === 'ringing' && seen.current.get(p.number) !== 'ringing');
      if (rang.length) setSaid(rang.map((p) => `${p.number} is ringing`).join('. '));
      seen.current = new Map(found.phones.map((p) => [p.number, p.state]));
      setData(found);
      setRecordings(written.recordings);
      setError('');
    } catch (failed) {
      setError(`The phone emulator does not answer: ${failed.message}`);
    }
  }

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, []);

  async function attempt(work, done) {
    try {
      await work();
      setError('');
      setSaid(done);
      await refresh();
      return true;
    } catch (failed) {
      setError(failed.message);
      return false;
    }
  }

  const act = (number, action, label) =>
    attempt(() => control('POST', path(number), { action }), `${label}: done on ${number}`);
  const setScript = (number, script) =>
    attempt(() => control('PUT', `${path(number)}/script`, script), `Script of ${number} saved`);
  const type = (number, digits) =>
    attempt(() => control('POST', `${path(number)}/digits`, { digits }), `${digits} typed on ${number}`);
  const saveTiming = (timing) => attempt(() => control('PUT', '/timing', timing), 'Timing saved');

  return html`
    <p class="error" role="alert" data-testid="phone-error" hidden=${!error}>${error}</p>
    <p class="visually-hidden" role="status" data-testid="phone-announcer">${said}</p>
    <section aria-labelledby="phones-title">
      <h2 id="phones-title">Phones</h2>
      ${data && !data.phones.length && html`<p class="muted" data-testid="no-phones">No number dialled yet.</p>`}
      <ul class="phone-list" data-testid="phone-list">
        ${(data?.phones ?? []).map((phone) => html`
          <${Phone} key=${phone.number} phone=${phone} act=${act} setScript=${setScript} type=${type} />`)}
      </ul>
    </section>
    <${Rooms} rooms=${rooms} />
    <${AddPhone} setScript=${setScript} />
    ${data && html`<${Timing} timing=${data.timing} save=${saveTiming} />`}
    <section aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings written</h2>
      ${recordings.length ? html`
        <ul class="recordings" data-testid="recordings">
          ${recordings.map((r) => html`<li key=${r.location}>${r.location}
            ${r.seconds === null ? ' (recording)' : ` (${r.seconds} s)`}</li>`)}
        </ul>` : html`<p class="muted">None yet.</p>`}
    </section>`;
}

render(html`<${App} />`, document.getElementById('phones-app'));
