// ztsim serve: a player's seat. Renders the role's view and sends its actions, each with a
// client id (seat-<random>-<counter>) that ZT.Live resends until the server replies
// (docs/serve.md). Shared code: graph.js (ZT).
"use strict";

(() => {
  const { el, fill, fmtT } = ZT;
  const $ = (id) => document.getElementById(id);
  let view = null;
  let chosen = null; // the action whose target picker is open
  const seen = new Map(); // message -> when this page first showed it (new ones are highlighted)
  let firstView = true;

  const ACTION_TEXT = {
    isolate: "Isolate a device",
    reset: "Reset an identity",
    revoke: "Revoke sessions",
    disable: "Disable an account",
    block: "Block a segment",
    escalate: "Escalate",
    note: "Note to facilitator",
    decide: "Decide",
  };

  const estate = new ZT.EstatePanel($("estate"), $("asset"), (id) => pickFromGraph(id));
  estate.onScrub = () => renderTimeline();

  const live = new ZT.Live("seat", (v) => render(v));
  ZT.linkReports();

  /** The options of an action's target picker: [{group, value, text}], or null for free text. */
  function targets(action) {
    const est = view.estate || { nodes: [], groups: [] };
    const groupTitle = new Map(est.groups.map((g) => [g.id, g.title]));
    const nodes = (pred) => est.nodes.filter((n) => pred(n.kind)).map((n) => ({
      group: groupTitle.get(n.group) || "",
      value: n.id,
      text: `${n.crown_jewel ? "★ " : ""}${n.label || n.id} (${n.id})`,
    }));
    switch (action) {
      case "isolate": // hosts: devices, infrastructure, applications
        return nodes((k) => !ZT.IDENTITY_KINDS.has(k) && !ZT.DATA_KINDS.has(k));
      case "reset":
      case "revoke":
      case "disable":
        return nodes((k) => ZT.IDENTITY_KINDS.has(k));
      case "block":
        return est.groups
          .filter((g) => ZT.segmentOf(g))
          .map((g) => ({ group: "", value: ZT.segmentOf(g), text: g.title }));
      case "decide":
        return (view.me.decisions || []).map((d) => ({ group: "", value: d, text: d }));
      default:
        return null;
    }
  }

  function choose(action) {
    chosen = action;
    for (const b of $("actions").querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.action === action));
    }
    const form = $("f-act");
    form.hidden = false;
    const opts = targets(action);
    const sel = $("target-select");
    const txt = $("target-text");
    sel.hidden = opts === null;
    txt.hidden = opts !== null;
    sel.required = opts !== null;
    txt.required = opts === null;
    $("b-send").textContent = `Send: ${action}`;
    if (opts === null) {
      $("target-label").htmlFor = "target-text";
      $("target-label").textContent = action === "escalate" ? "What to escalate (to the executive and facilitator)" : "Note to the facilitator";
      txt.focus();
    } else {
      $("target-label").htmlFor = "target-select";
      $("target-label").textContent = action === "decide" ? "Decision" : "Target";
      const keep = sel.value;
      const byGroup = new Map();
      for (const o of opts) {
        if (!byGroup.has(o.group)) byGroup.set(o.group, []);
        byGroup.get(o.group).push(el("option", { value: o.value, text: o.text }));
      }
      fill(sel, [...byGroup].map(([g, items]) => (g ? el("optgroup", { label: g }, items) : items)));
      if (!opts.length) sel.append(el("option", { value: "", text: "(nothing to choose)", disabled: true }));
      if (opts.some((o) => o.value === keep)) sel.value = keep;
      const picked = estate.selected;
      if (picked && opts.some((o) => o.value === picked)) sel.value = picked;
    }
  }

  /** A click on the graph picks the asset as the target when the open picker offers it. */
  function pickFromGraph(id) {
    const sel = $("target-select");
    if (chosen && !sel.hidden && [...sel.options].some((o) => o.value === id)) sel.value = id;
  }

  $("f-act").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!chosen) return;
    const free = !$("target-text").hidden;
    const target = free ? $("target-text").value.trim() : $("target-select").value;
    if (!target) return;
    const action = chosen;
    const out = $("act-result");
    const button = $("b-send");
    button.disabled = true;
    out.textContent = `Sending ${action} ${free ? "" : target}…`;
    out.dataset.kind = "info";
    try {
      const reply = await live.request("act", { action, target });
      out.textContent = ZT.replyText(reply);
      out.dataset.kind = reply.ok ? "ok" : "error";
      if (reply.ok && free) $("target-text").value = "";
    } finally {
      button.disabled = false;
    }
  });

  function renderActions(me, ended) {
    const box = $("actions");
    const want = (me.can || []).join("|") + (ended ? "#ended" : "");
    if (box.dataset.can === want) return;
    box.dataset.can = want;
    fill(box, (me.can || []).map((a) => {
      const b = el("button", { type: "button", "data-action": a, "aria-pressed": String(a === chosen), text: ACTION_TEXT[a] || a });
      b.disabled = ended;
      b.addEventListener("click", () => choose(a));
      return b;
    }));
    if (ended) $("f-act").hidden = true;
    else if (chosen && (me.can || []).includes(chosen)) choose(chosen);
  }

  function renderPending(pending) {
    fill($("pending"), pending.length
      ? pending.map((p) => el("li", {},
        el("span", { class: "ev-t", text: fmtT(p.effective_at) }), ` ${p.action} ${p.target}`))
      : [el("li", { class: "empty", text: "No actions waiting." })]);
  }

  function renderMessages(events) {
    const mine = events.filter((e) => e.kind === "message" || e.kind === "hint" || e.kind === "inject");
    const box = $("messages");
    const rows = mine.map((e) => {
      const key = `${e.t}|${e.kind}|${e.text}`;
      const arriving = !seen.has(key) && !firstView;
      if (!seen.has(key)) seen.set(key, firstView ? 0 : Date.now());
      const fresh = Date.now() - seen.get(key) < 15000; // outlined for 15 s, flashed once
      return el("li", { class: `ev ev-${e.kind}${fresh ? " fresh" : ""}${arriving ? " arriving" : ""}` },
        el("span", { class: "ev-t", text: fmtT(e.t) }),
        el("span", { class: `badge k-${e.kind}`, text: e.kind }),
        el("span", { class: "ev-text", text: e.text }));
    });
    fill(box, rows.length ? rows : [el("li", { class: "empty", text: "No messages yet." })]);
    box.scrollTop = box.scrollHeight;
  }

  function renderTimeline() {
    if (!view) return;
    ZT.renderTimeline($("timeline"), view.events, {
      kinds: ["alert", "action", "effect", "expectation", "attack", "clock"], // the rest: Messages
      t: estate.scrubber.t,
      empty: "No alerts yet. The estate looks quiet, which is not the same as clean.",
    });
  }

  function render(v) {
    view = v;
    const me = v.me || {};
    document.title = `${me.role_title || me.role} · ${v.exercise.title}`;
    $("title").textContent = v.exercise.title;
    $("role").textContent = me.role_title || me.role || "";
    ZT.renderClock($("clock"), v.clock);
    const ended = v.clock.ended !== null && v.clock.ended !== undefined;
    document.body.classList.toggle("ended", ended);
    $("report-links").hidden = !ended; // the report is final once the exercise ends
    renderActions(me, ended);
    estate.render(v);
    renderTimeline();
    renderMessages(v.events || []);
    renderPending((v.pending || []).filter((p) => !me.seat || p.seat === me.seat));
    ZT.renderScore($("score"), v.score);
    $("brief").textContent = me.brief || "";
    ZT.renderObjectives($("objectives"), v.exercise);
    $("score-mini").textContent = v.score ? `Score ${v.score.total} / ${v.score.max}` : "";
    firstView = false;
  }
})();
