// The Routing page's groups, skills and queues (admin-routing.js). Each list is edited with buttons (Add, Remove),
// so all of it works from the keyboard. What cannot be removed because a rule still refers to it is refused here,
// naming those rules; what the server refuses is shown at its input like any other refusal.
// An id already saved is not editable: conversations and agents refer to groups and skills by id (the name of a group
// is free). Queues are the names the brand's pages ask for (the widget's `queue` option): the configuration knows
// them through the rules that match them, so a queue no rule matches is kept by this page only until it is left.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { Field, NumberField, Select, TextField, fieldId, namedList } from '/desk/admin-routing-fields.js';
import { FieldNotes } from '/desk/labelled-field.js';

const FAIRNESS = [['longest_idle', 'The agent idle the longest'], ['least_loaded', 'The least loaded agent'],
  ['highest_skill', 'The agent with the highest skill level']];

export const ruleName = (rule) => rule.name || rule.id;
export const groupName = (draft, id) => draft.groups.find((group) => group.id === id)?.name || id;

// A new id of this kind not yet in `taken`: "group-2".
export function freshId(kind, taken) {
  let n = taken.length + 1;
  while (taken.includes(`${kind}-${n}`)) n += 1;
  return `${kind}-${n}`;
}

// Why a thing cannot be removed: the rules that still refer to it, by name.
function stillUsed(rules, one, many) {
  const several = rules.length > 1;
  return `Not removed: ${namedList('rule', rules)} ${several ? many : one}; change ${several ? 'them' : 'it'} first.`;
}

// A Remove button that carries its item's path, so that a refusal about that item is shown, and focused, there.
function RemoveButton({ path, label, onClick, error }) {
  const id = fieldId(path);
  const wrong = error?.at === path;
  return html`
    <button id=${id} type="button" class="secondary" data-field=${path} data-testid=${`${id}-remove`}
            aria-label=${label} aria-describedby=${wrong ? `${id}-error` : undefined} onClick=${onClick}>Remove</button>
    <${FieldNotes} id=${id} message=${wrong ? error.message : null} />`;
}

export function Groups({ draft, saved, change, refuse, announce, error }) {
  const savedIds = new Set(saved.groups.map((group) => group.id));
  const set = (i, patch) => change((d) => ({
    ...d, groups: d.groups.map((g, at) => (at === i ? { ...g, ...patch } : g)) }));
  const renameGroup = (i, id) => change((d) => { // a new group's id: the rules that send to it follow
    const old = d.groups[i].id;
    return { ...d, groups: d.groups.map((g, at) => (at === i ? { ...g, id } : g)),
             rules: d.rules.map((rule) => ({ ...rule, groups: rule.groups.map((g) => (g === old ? id : g)) })) };
  });
  const remove = (i) => {
    const group = draft.groups[i];
    const users = draft.rules.filter((rule) => rule.groups.includes(group.id)).map(ruleName);
    if (users.length) {
      refuse(`groups[${i}]`, stillUsed(users, 'sends conversations to it', 'send conversations to it'));
      return;
    }
    change((d) => ({ ...d, groups: d.groups.filter((_, at) => at !== i) }));
    announce(`Group ${group.name || group.id} removed.`);
  };
  const add = () => {
    const id = freshId('group', draft.groups.map((g) => g.id));
    change((d) => ({ ...d, groups: [...d.groups, { id, name: 'New group', threshold: 100, shards: 1 }] }));
    announce(`Group ${id} added at the end of the list.`);
  };
  return html`
    <section class="rt-section" aria-labelledby="rt-groups-title">
      <h4 id="rt-groups-title">Groups</h4>
      <p class="muted rt-hint">A group's members are chosen on the Agents page.</p>
      <${Select} path="fairness" label="Which agent of a group gets the next conversation" value=${draft.fairness}
                 options=${FAIRNESS} error=${error} onChange=${(fairness) => change((d) => ({ ...d, fairness }))} />
      <ul class="rt-list" data-testid="rt-groups">
        ${draft.groups.map((group, i) => html`
          <li key=${`${i}`} class="rt-item" data-testid=${`rt-group-${i}`}>
            ${savedIds.has(group.id)
              ? html`<p class="rt-id">Id <code>${group.id}</code></p>`
              : html`<${TextField} path=${`groups[${i}].id`} label="Id (lowercase, fixed once saved)" value=${group.id}
                        error=${error} maxlength="40" onChange=${(id) => renameGroup(i, id)} />`}
            <${TextField} path=${`groups[${i}].name`} label="Name" value=${group.name} error=${error}
                          onChange=${(name) => set(i, { name })} />
            <${NumberField} path=${`groups[${i}].threshold`} label="Conversations that may wait in it (0 to 100000)"
                            hint="0: a conversation is taken only when an agent is free at once." min="0" max="100000"
                            value=${group.threshold} error=${error} onChange=${(threshold) => set(i, { threshold })} />
            <${NumberField} path=${`groups[${i}].shards`} label="Shards (1 to 16)" min="1" max="16"
                            hint="Partitions of its queue, for very busy groups (docs/scaling.md)."
                            value=${group.shards} error=${error} onChange=${(shards) => set(i, { shards })} />
            <${RemoveButton} path=${`groups[${i}]`} label=${`Remove the group ${group.name || group.id}`} error=${error}
                             onClick=${() => remove(i)} />
          </li>`)}
      </ul>
      <button type="button" class="secondary" data-testid="rt-group-add" onClick=${add}>Add a group</button>
    </section>`;
}

export function Skills({ draft, saved, change, refuse, announce, error }) {
  const savedSkills = new Set(saved.skills);
  const remove = (i) => {
    const skill = draft.skills[i];
    const users = draft.rules.filter((rule) => rule.skill?.skill === skill).map(ruleName);
    if (users.length) {
      refuse(`skills[${i}]`, stillUsed(users, 'requires it', 'require it'));
      return;
    }
    change((d) => ({ ...d, skills: d.skills.filter((_, at) => at !== i) }));
    announce(`Skill ${skill} removed.`);
  };
  const rename = (i, name) => change((d) => { // a new skill's name: the rules that require it follow
    const old = d.skills[i];
    return { ...d, skills: d.skills.map((s, at) => (at === i ? name : s)),
             rules: d.rules.map((rule) => (rule.skill?.skill === old
               ? { ...rule, skill: { ...rule.skill, skill: name } } : rule)) };
  });
  const add = () => {
    change((d) => ({ ...d, skills: [...d.skills, freshId('skill', d.skills)] }));
    announce('Skill added at the end of the list.');
  };
  return html`
    <section class="rt-section" aria-labelledby="rt-skills-title">
      <h4 id="rt-skills-title">Skills</h4>
      <p class="muted rt-hint">Agents' levels in each skill are set on the Agents page; a saved skill keeps its
        name (agents hold it by name).</p>
      <ul class="rt-list" data-testid="rt-skills">
        ${draft.skills.map((skill, i) => html`
          <li key=${`${i}`} class="rt-item rt-row">
            ${savedSkills.has(skill) ? html`<span class="rt-id">${skill}</span>`
              : html`<${TextField} path=${`skills[${i}]`} label=${`New skill ${i + 1}`} value=${skill} error=${error}
                                   maxlength="40" onChange=${(name) => rename(i, name)} />`}
            <${RemoveButton} path=${`skills[${i}]`} label=${`Remove the skill ${skill}`} error=${error}
                             onClick=${() => remove(i)} />
          </li>`)}
      </ul>
      <button type="button" class="secondary" data-testid="rt-skill-add" onClick=${add}>Add a skill</button>
    </section>`;
}

// queues: the names shown (the rules' and those added here); setExtra(names): those added here.
export function Queues({ draft, queues, extra, setExtra, change, refuse, announce, error }) {
  const rename = (i, name) => {
    const old = queues[i];
    if (!name) {
      refuse(`queues[${i}]`, 'A queue needs a name.');
      return;
    }
    change((d) => ({ ...d, rules: d.rules.map((rule) => (rule.match?.queue === old
      ? { ...rule, match: { ...rule.match, queue: name } } : rule)) }));
    setExtra(extra.map((q) => (q === old ? name : q)));
    announce(`Queue ${old} renamed ${name} in every rule that matches it.`);
  };
  const remove = (i) => {
    const queue = queues[i];
    const users = draft.rules.filter((rule) => rule.match?.queue === queue).map(ruleName);
    if (users.length) {
      refuse(`queues[${i}]`, stillUsed(users, 'matches it', 'match it'));
      return;
    }
    setExtra(extra.filter((q) => q !== queue));
    announce(`Queue ${queue} removed.`);
  };
  const add = () => {
    setExtra([...extra, freshId('queue', queues)]);
    announce('Queue added; a rule can now match it.');
  };
  return html`
    <section class="rt-section" aria-labelledby="rt-queues-title">
      <h4 id="rt-queues-title">Queues</h4>
      <p class="muted rt-hint">The queue a page of the brand asks for (the widget's <code>queue</code> option); a
        rule may match it. Renaming one renames it in every rule.</p>
      <ul class="rt-list" data-testid="rt-queues">
        ${queues.map((queue, i) => html`
          <li key=${`${i}`} class="rt-item rt-row">
            <${Field} path=${`queues[${i}].name`} label=${`Queue ${i + 1}`} error=${error}
                      input=${{ value: queue, maxlength: 40, autocomplete: 'off',
                                onChange: (e) => rename(i, e.currentTarget.value.trim()) }} />
            <${RemoveButton} path=${`queues[${i}]`} label=${`Remove the queue ${queue}`} error=${error}
                             onClick=${() => remove(i)} />
          </li>`)}
      </ul>
      <button type="button" class="secondary" data-testid="rt-queue-add" onClick=${add}>Add a queue</button>
    </section>`;
}
