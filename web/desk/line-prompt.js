// The line prompt (issue 13, CB-6): an agent who takes calls and whose settings say "ask for my number at each
// login" is asked, once signed in, which phone Guichet should ring for their calls: a modal dialog with a labelled
// phone field (+ and the country code) and Skip. The number goes to PUT /tenants/{tenant}/agents/me/line, which
// checks it (a refusal names the field `line` and is shown under it) and keeps it until the agent goes Offline; the
// agent then gets calls. The top bar's Phone button (LineButton) shows the number in use and opens the dialog again.
// State: state.linePrompt = {open, busy, error, opened}; the agent's call_line comes with state.me.

import { ApiError } from '/widget/connection.js';
import { html, useLayoutEffect, useRef } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';

// An agent who answers on the desk (the softphone, issue 14) needs no phone number.
const asksAtLogin = (me) => Boolean(me?.ask_line_at_login && me?.takes_calls && me?.answer_calls !== 'desk');

// deps: store; api (setLine); onAgent(agent) the server's answer; announce(text). buttonSlot: the top bar's place
// for the Phone button; dialogSlot: where the dialog is drawn.
export function createLinePrompt({ store, api, buttonSlot, dialogSlot, ...deps }) {
  let asked = false; // once per desk: Skip means "not now"; the Phone button asks again
  const update = (patch) => store.set({ linePrompt: { ...store.state.linePrompt, ...patch } });
  const prompt = { submit, skip, open };

  function show() {
    update({ open: false, busy: false, error: null, opened: 0 });
    const stops = [mount(buttonSlot, LineButton, store, { prompt }), mount(dialogSlot, LinePrompt, store, { prompt })];
    return () => stops.forEach((stop) => stop());
  }

  // After /me: asks, unless this desk asked already or the agent has a number for this login.
  function ask(me) {
    if (asked || !asksAtLogin(me) || me.call_line) return;
    asked = true;
    open();
  }

  function open() {
    update({ open: true, busy: false, error: null, opened: (store.state.linePrompt?.opened ?? 0) + 1 });
  }

  async function submit(line) {
    update({ busy: true, error: null });
    try {
      const { agent } = await api.setLine(line);
      deps.onAgent(agent);
      update({ open: false, busy: false });
      deps.announce(agent.call_line ? `Your calls will ring ${agent.call_line}.` : 'No phone number: you get no calls.');
    } catch (error) {
      update({ busy: false, error: errorText(error) });
    }
  }

  function skip() {
    update({ open: false, error: null });
    if (!store.state.me?.call_line) deps.announce('No phone number given: you get no calls until you give one.');
  }

  return { show, ask, open };
}

function errorText(error) {
  if (!(error instanceof ApiError)) return 'Not connected: the number could not be saved. Try again.';
  return error.field === 'line' ? error.message.replace(/^'line'/, 'The number') : `Not saved: ${error.message}`;
}

// The top bar's Phone button, for agents asked for their number at login.
function LineButton({ state, prompt }) {
  const { me } = state;
  if (!asksAtLogin(me)) return null;
  const line = me.call_line || '';
  return html`
    <button id="line-button" type="button" class="secondary" data-testid="line-button" data-line=${line}
            aria-haspopup="dialog" onClick=${prompt.open}>${line ? `Phone: ${line}` : 'Phone: none'}</button>`;
}

function LinePrompt({ state, prompt }) {
  const { open = false, busy = false, error = null, opened = 0 } = state.linePrompt ?? {};
  const dialog = useRef(null);
  const input = useRef(null);
  const before = useRef(null); // where the focus was when it opened: it goes back there (else to the status)
  useLayoutEffect(() => {
    const element = dialog.current;
    if (open && !element.open) {
      before.current = document.activeElement;
      input.current.value = state.me?.call_line ?? '';
      element.showModal();
      input.current.focus();
    } else if (!open && element.open) {
      element.close();
      const back = before.current?.isConnected && before.current.offsetParent ? before.current
        : document.getElementById('status-select');
      back?.focus();
    }
  }, [open, opened]);
  useLayoutEffect(() => {
    if (error) input.current.focus();
  }, [error]);
  const submit = (event) => {
    event.preventDefault();
    prompt.submit(input.current.value.trim());
  };
  const cancel = (event) => { // Escape: as Skip
    event.preventDefault();
    prompt.skip();
  };
  return html`
    <dialog id="line-prompt" class="line-prompt" data-testid="line-prompt" aria-labelledby="line-title"
            aria-describedby="line-hint" ref=${dialog} onCancel=${cancel}>
      <form class="line-form" method="dialog" noValidate onSubmit=${submit}>
        <h2 id="line-title">Which phone should ring for your calls?</h2>
        <p id="line-hint" class="muted">Guichet calls this number when you take a callback. Write it with + and the
          country code, e.g. +33 6 12 34 56 78. It is kept until you log out.</p>
        <label for="line-input">Phone number</label>
        <input id="line-input" name="line" type="tel" inputmode="tel" autocomplete="tel" maxlength="40"
               data-testid="line-input" ref=${input} aria-invalid=${error ? 'true' : undefined}
               aria-describedby=${error ? 'line-error line-hint' : 'line-hint'} />
        <p id="line-error" class="error" data-testid="line-error" role="alert" hidden=${!error}>${error ?? ''}</p>
        <div class="form-actions">
          <button type="button" class="secondary" data-testid="line-skip" onClick=${prompt.skip}>Skip</button>
          <button type="submit" data-testid="line-submit" disabled=${busy}>Use this number</button>
        </div>
      </form>
    </dialog>`;
}
