// The console's Answers and surveys page (issue 16, docs/admin.md "Answers and surveys"): the canned answers agents
// insert from the composer (title, text, an optional shortcut; added, edited, removed and reordered), with the
// variables they may hold; the dispositions an agent picks when closing a chat, and whether one is required; the end
// survey (the NPS question after the rating); the delay of the email that tells an away visitor of answers. Save sends
// only what changed (PUT /settings); the server checks every value and the admin role.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { addStylesheet } from '/desk/reports.js';
import { AddButton, CheckField, SaveBar, SettingsForm, TextField, inputId, useSettings } from '/desk/admin-look-form.js';

const KEYS = ['canned_answers', 'dispositions', 'disposition_required', 'nps_enabled', 'notify_delay_seconds'];
const VARIABLES = [['{visitor_name}', "the visitor's name, as the conversation knows it"],
  ['{agent_name}', "the answering agent's name"]];

// A number typed in a box: the number, or the text as it is when it is not one (the server then names the field).
const numberOrText = (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

// A copy of `list` with the item at `from` moved to `to`.
export function moved(list, from, to) {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

function Page({ api, canEdit, announce }) {
  addStylesheet('/desk/admin-look.css');
  const form = useSettings({ api, announce, keys: KEYS });
  return html`
    <${SettingsForm} form=${form} label="Answers and surveys">
      ${form.draft ? html`
        <${CannedAnswers} form=${form} canEdit=${canEdit} announce=${announce} />
        <${Dispositions} form=${form} canEdit=${canEdit} announce=${announce} />
        <fieldset class="admin-group">
          <legend>End of chat survey</legend>
          <p class="admin-hint">The visitor is always asked to rate the conversation from 1 to 5 (CSAT), with an
            optional comment.</p>
          <${CheckField} path="nps_enabled" label="Then ask the NPS question (0 to 10: would they recommend us?)"
                         checked=${form.draft.nps_enabled} onValue=${(value) => form.edit({ nps_enabled: value })}
                         form=${form} canEdit=${canEdit} testId="answers-nps" />
        </fieldset>
        <fieldset class="admin-group">
          <legend>Emails to away visitors</legend>
          <${TextField} path="notify_delay_seconds" type="number" min="5" max="3600"
                        label="Seconds after an agent's last answer before the visitor is emailed (5 to 3600)"
                        value=${String(form.draft.notify_delay_seconds)} form=${form} canEdit=${canEdit}
                        onValue=${(value) => form.edit({ notify_delay_seconds: numberOrText(value) })}
                        testId="answers-notify-delay"
                        hint="Only for a conversation whose visitor left an email and is not reading it." />
        </fieldset>` : null}
      <${SaveBar} form=${form} canEdit=${canEdit} testId="answers-save" />
    <//>`;
}

// An editable list of items (canned answers, dispositions): each with Move up, Move down and Remove; the focus
// follows the item moved, and goes to the list's Add button when one is removed.
function ListControls({ path, index, count, name, onMove, onRemove, canEdit }) {
  if (!canEdit) return null;
  return html`
    <div class="admin-row">
      <button type="button" class="secondary" id=${inputId(`${path}.${index}.up`)} disabled=${index === 0}
              aria-label=${`Move ${name} up`} onClick=${() => onMove(index, index - 1, 'up')}>Up</button>
      <button type="button" class="secondary" id=${inputId(`${path}.${index}.down`)} disabled=${index === count - 1}
              aria-label=${`Move ${name} down`} onClick=${() => onMove(index, index + 1, 'down')}>Down</button>
      <button type="button" class="secondary" aria-label=${`Remove ${name}`}
              data-testid=${`${path}-remove-${index}`} onClick=${() => onRemove(index)}>Remove</button>
    </div>`;
}

function useList(form, key, announce, label) {
  const items = form.draft[key];
  const set = (next) => form.edit({ [key]: next });
  return {
    items,
    change: (index, value) => set(items.map((item, at) => (at === index ? value : item))),
    move(from, to, direction) {
      if (to < 0 || to >= items.length) return;
      set(moved(items, from, to));
      announce(`${label(items[from], from)} moved to position ${to + 1} of ${items.length}.`);
      // The button pressed, on the item's new row (or the other button when that one is now disabled).
      requestAnimationFrame(() => {
        const button = document.getElementById(inputId(`${key}.${to}.${direction}`));
        (button?.disabled ? document.getElementById(inputId(`${key}.${to}.${direction === 'up' ? 'down' : 'up'}`))
          : button)?.focus();
      });
    },
    remove(index) {
      set(items.filter((_, at) => at !== index));
      announce(`${label(items[index], index)} removed.`);
      requestAnimationFrame(() => document.getElementById(inputId(key))?.focus());
    },
    add(item) {
      set([...items, item]);
      requestAnimationFrame(() => document.getElementById(inputId(key === 'dispositions' ? `${key}.${items.length}` : `${key}.${items.length}.title`))?.focus());
    },
  };
}

function CannedAnswers({ form, canEdit, announce }) {
  const list = useList(form, 'canned_answers', announce, (answer, index) => answer.title || `Answer ${index + 1}`);
  const field = (index, name) => (value) => {
    const answer = { ...list.items[index], [name]: value };
    if (name === 'shortcut' && value === '') delete answer.shortcut; // optional: left out when empty
    list.change(index, answer);
  };
  const variables = VARIABLES.map(([name, what], at) => html`${at ? ' and ' : ''}<code>${name}</code> (${what})`);
  return html`
    <fieldset class="admin-group" data-testid="answers-canned">
      <legend>Canned answers</legend>
      <p class="admin-hint" id="answers-variables">Agents insert these from the reply box: by title, or by typing
        <code>/</code> and the shortcut, then Tab. A text may hold ${variables}, filled in when the agent inserts it.</p>
      <ol class="admin-list">
        ${list.items.map((answer, index) => html`
          <li key=${index} data-testid="answers-canned-item">
            <div class="admin-row">
              <${TextField} path=${`canned_answers.${index}.title`} label="Title" value=${answer.title} maxlength="80"
                            onValue=${field(index, 'title')} form=${form} canEdit=${canEdit}
                            testId=${`answers-title-${index}`} />
              <${TextField} path=${`canned_answers.${index}.shortcut`} label="Shortcut (optional)" maxlength="20"
                            value=${answer.shortcut ?? ''} onValue=${(v) => field(index, 'shortcut')(v.trim())}
                            form=${form} canEdit=${canEdit} testId=${`answers-shortcut-${index}`}
                            hint="a to z, 0 to 9, - and _; unique" autocomplete="off" spellcheck="false" />
            </div>
            <${TextField} path=${`canned_answers.${index}.text`} label="Text" value=${answer.text} multiline
                          maxlength="1940" onValue=${field(index, 'text')} form=${form} canEdit=${canEdit}
                          testId=${`answers-text-${index}`} describedBy="answers-variables" />
            <${ListControls} path="canned_answers" index=${index} count=${list.items.length} canEdit=${canEdit}
                             name=${`"${answer.title || `answer ${index + 1}`}"`} onMove=${list.move}
                             onRemove=${list.remove} />
          </li>`)}
      </ol>
      <${AddButton} path="canned_answers" label="Add a canned answer" form=${form} canEdit=${canEdit}
                    testId="answers-add" onAdd=${() => list.add({ title: '', text: '' })} />
    </fieldset>`;
}

function Dispositions({ form, canEdit, announce }) {
  const list = useList(form, 'dispositions', announce, (name, index) => name || `Disposition ${index + 1}`);
  return html`
    <fieldset class="admin-group" data-testid="answers-dispositions">
      <legend>Dispositions</legend>
      <p class="admin-hint">What an agent picks when closing a chat (the outcome, in the reports).</p>
      <ol class="admin-list">
        ${list.items.map((name, index) => html`
          <li key=${index} class="admin-row">
            <${TextField} path=${`dispositions.${index}`} label=${`Disposition ${index + 1}`} value=${name}
                          maxlength="80" onValue=${(value) => list.change(index, value)} form=${form}
                          canEdit=${canEdit} testId=${`answers-disposition-${index}`} />
            <${ListControls} path="dispositions" index=${index} count=${list.items.length} canEdit=${canEdit}
                             name=${`"${name || `disposition ${index + 1}`}"`} onMove=${list.move}
                             onRemove=${list.remove} />
          </li>`)}
      </ol>
      <${AddButton} path="dispositions" label="Add a disposition" form=${form} canEdit=${canEdit}
                    testId="answers-disposition-add" onAdd=${() => list.add('')} />
      <${CheckField} path="disposition_required" label="An agent must pick one before closing a chat"
                     checked=${form.draft.disposition_required} form=${form} canEdit=${canEdit}
                     onValue=${(value) => form.edit({ disposition_required: value })} testId="answers-required" />
    </fieldset>`;
}

export default { id: 'answers', label: 'Answers and surveys', Page };
