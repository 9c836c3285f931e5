// The Routing page's rules (admin-routing.js), in the order they are tried: the first rule whose every criterion holds
// (queue, channel, page address, custom data) takes a new conversation to its groups, the first group with room first
// (cascade) or the least busy (equal distribution). Moved with buttons (Move up, Move down), which keep the focus
// on the moved rule's button so that a keyboard user can move it again.

import { html, useEffect, useRef } from '/vendor/htm-preact-standalone.module.js';
import { Field, NumberField, Select, TextField, fieldId } from '/desk/admin-routing-fields.js';
import { freshId, groupName, ruleName } from '/desk/admin-routing-lists.js';

const MODES = [['cascade', 'Cascade: the first group with room'], ['equal', 'Equal: the least busy group']];
const CHANNELS = [['', 'Any channel'], ['chat', 'Chat'], ['call', 'Call'], ['email', 'Email']];
const MAX_LEVEL = 5;

// {"plan": "gold"} <-> "plan=gold" (one per line).
const customText = (custom) => Object.entries(custom ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
function customOf(text) {
  const pairs = text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  });
  return Object.fromEntries(pairs);
}

// A criterion left empty is no criterion: it is left out of the match.
function withMatch(rule, patch) {
  const match = { ...rule.match, ...patch };
  for (const key of Object.keys(match)) {
    const value = match[key];
    if (value === '' || value == null || (key === 'custom' && !Object.keys(value).length)) delete match[key];
  }
  return { ...rule, match };
}

export function Rules({ draft, saved, queues, change, announce, error }) {
  const savedIds = new Set(saved.rules.map((rule) => rule.id));
  const focusNext = useRef(null);
  useEffect(() => { // after a move: the same button of the moved rule, at its new place
    if (focusNext.current) document.getElementById(focusNext.current)?.focus();
    focusNext.current = null;
  });
  const set = (i, make) => change((d) => ({ ...d, rules: d.rules.map((rule, at) => (at === i ? make(rule) : rule)) }));
  const move = (i, by, button) => {
    const to = i + by;
    if (to < 0 || to >= draft.rules.length) return;
    const rules = [...draft.rules];
    [rules[i], rules[to]] = [rules[to], rules[i]];
    change((d) => ({ ...d, rules }));
    // At either end that button is disabled: the focus goes to the other one.
    const edge = (button === 'up' && to === 0) || (button === 'down' && to === rules.length - 1);
    focusNext.current = fieldId(`rules[${to}].${edge ? (button === 'up' ? 'down' : 'up') : button}`);
    announce(`Rule ${ruleName(draft.rules[i])} moved to position ${to + 1} of ${rules.length}.`);
  };
  const remove = (i) => {
    const rule = draft.rules[i];
    change((d) => ({ ...d, rules: d.rules.filter((_, at) => at !== i) }));
    announce(`Rule ${ruleName(rule)} removed.`);
  };
  const add = () => {
    const id = freshId('rule', draft.rules.map((rule) => rule.id));
    change((d) => ({ ...d, rules: [...d.rules, { id, name: 'New rule', groups: [d.groups[0].id], mode: 'cascade',
                                                 priority: 0, skill: null, match: {} }] }));
    announce(`Rule ${id} added last: it takes only what no rule above it takes.`);
  };
  return html`
    <section class="rt-section" aria-labelledby="rt-rules-title">
      <h4 id="rt-rules-title">Rules</h4>
      <p class="muted rt-hint">Tried in this order: the first rule that matches a new conversation sends it to
        its groups. A rule with no criterion takes everything, so it belongs last.</p>
      <ol class="rt-list" data-testid="rt-rules">
        ${draft.rules.map((rule, i) => html`
          <li key=${`${i}`} class="rt-item" data-testid=${`rt-rule-${i}`}>
            <fieldset class="rt-fieldset">
              <legend>Rule ${i + 1}: ${ruleName(rule)}</legend>
              <${Rule} rule=${rule} at=${i} isNew=${!savedIds.has(rule.id)} draft=${draft} queues=${queues}
                       error=${error} set=${(make) => set(i, make)} />
              <div class="rt-row">
                <button id=${fieldId(`rules[${i}].up`)} type="button" class="secondary" data-testid=${`rt-rule-${i}-up`}
                        aria-label=${`Move up: ${ruleName(rule)}`} disabled=${i === 0}
                        onClick=${() => move(i, -1, 'up')}>Move up</button>
                <button id=${fieldId(`rules[${i}].down`)} type="button" class="secondary"
                        data-testid=${`rt-rule-${i}-down`} aria-label=${`Move down: ${ruleName(rule)}`}
                        disabled=${i === draft.rules.length - 1} onClick=${() => move(i, 1, 'down')}>Move down</button>
                <button type="button" class="secondary" data-testid=${`rt-rule-${i}-remove`}
                        aria-label=${`Remove the rule ${ruleName(rule)}`} disabled=${draft.rules.length === 1}
                        onClick=${() => remove(i)}>Remove</button>
              </div>
            </fieldset>
          </li>`)}
      </ol>
      <button type="button" class="secondary" data-testid="rt-rule-add" onClick=${add}>Add a rule</button>
    </section>`;
}

function Rule({ rule, at, isNew, draft, queues, error, set }) {
  const path = (name) => `rules[${at}].${name}`;
  const groups = draft.groups.map((group) => [group.id, group.name || group.id]);
  const setGroup = (j, id) => set((r) => ({ ...r, groups: r.groups.map((g, k) => (k === j ? id : g)) }));
  const unlisted = draft.groups.find((group) => !rule.groups.includes(group.id));
  const skill = rule.skill?.skill ?? '';
  return html`
    ${isNew ? html`<${TextField} path=${path('id')} label="Id (lowercase, fixed once saved)" value=${rule.id}
                                 maxlength="40" error=${error} onChange=${(id) => set((r) => ({ ...r, id }))} />`
      : null}
    <${TextField} path=${path('name')} label="Name" value=${rule.name} error=${error}
                  onChange=${(name) => set((r) => ({ ...r, name }))} />
    <div class="rt-columns">
      <${Select} path=${path('match.queue')} label="Queue the page asks for" value=${rule.match?.queue ?? ''}
                 options=${[['', 'Any queue'], ...queues.map((q) => [q, q])]} error=${error}
                 onChange=${(queue) => set((r) => withMatch(r, { queue }))} />
      <${Select} path=${path('match.channel')} label="Channel" value=${rule.match?.channel ?? ''} options=${CHANNELS}
                 error=${error} onChange=${(channel) => set((r) => withMatch(r, { channel }))} />
      <${TextField} path=${path('match.url_contains')} label="Page address contains" maxlength="500"
                    hint="For example /checkout; empty: any page." value=${rule.match?.url_contains ?? ''}
                    error=${error} onChange=${(url) => set((r) => withMatch(r, { url_contains: url }))} />
      <${Field} path=${path('match.custom')} label="Custom data (name=value, one per line)" error=${error}>
        ${({ id, aria }) => html`<textarea id=${id} data-field=${path('match.custom')} data-testid=${id} rows="2"
            ...${aria} value=${customText(rule.match?.custom)}
            onChange=${(e) => set((r) => withMatch(r, { custom: customOf(e.currentTarget.value) }))}></textarea>`}
      </${Field}>
    </div>
    <div class="rt-targets" role="group" aria-label=${`Groups of the rule ${ruleName(rule)}, in order`}>
      ${rule.groups.map((id, j) => html`
        <div key=${`${j}`} class="rt-row">
          <${Select} path=${path(`groups[${j}]`)} label=${j === 0 ? 'Sends conversations to' : `Then to (${j + 1})`}
                     value=${id} options=${groups.some(([g]) => g === id) ? groups : [[id, id], ...groups]}
                     error=${error} onChange=${(chosen) => setGroup(j, chosen)} />
          ${j > 0 ? html`<button type="button" class="secondary"
              data-testid=${`${fieldId(path(`groups[${j}]`))}-remove`}
              aria-label=${`Remove ${groupName(draft, id)} from this rule`}
              onClick=${() => set((r) => ({ ...r, groups: r.groups.filter((_, k) => k !== j) }))}>Remove</button>`
            : null}
        </div>`)}
      ${unlisted ? html`<button type="button" class="secondary" data-testid=${`${fieldId(path('groups'))}-add`}
          onClick=${() => set((r) => ({ ...r, groups: [...r.groups, unlisted.id] }))}>Add a group after these</button>`
        : null}
    </div>
    <div class="rt-columns">
      <${Select} path=${path('mode')} label="Distribution among its groups" value=${rule.mode} options=${MODES}
                 error=${error} onChange=${(mode) => set((r) => ({ ...r, mode }))} />
      <${Select} path=${path('skill.skill')} label="Skill required" value=${skill} error=${error}
                 options=${[['', 'None'], ...(draft.skills.includes(skill) || !skill ? [] : [[skill, skill]]),
                            ...draft.skills.map((s) => [s, s])]}
                 onChange=${(name) => set((r) => ({
                   ...r, skill: name ? { skill: name, min_level: r.skill?.min_level ?? 1 } : null }))} />
      ${skill ? html`<${NumberField} path=${path('skill.min_level')} label=${`Lowest level (1 to ${MAX_LEVEL})`}
          min="1" max=${MAX_LEVEL} value=${rule.skill.min_level} error=${error}
          onChange=${(level) => set((r) => ({ ...r, skill: { ...r.skill, min_level: level } }))} />` : null}
      <${NumberField} path=${path('priority')} label="Priority in the queue (0 to 999)" min="0" max="999"
                      hint="Higher is served first." value=${rule.priority} error=${error}
                      onChange=${(priority) => set((r) => ({ ...r, priority }))} />
    </div>`;
}
