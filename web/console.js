// ztsim serve: the facilitator console. Renders every view the server sends and turns the
// controls into facilitator commands (docs/serve.md). Shared code: graph.js (ZT).
"use strict";

(() => {
  const { el, fill, fmtT, TOKEN } = ZT;
  const $ = (id) => document.getElementById(id);
  let view = null;

  const estate = new ZT.EstatePanel($("estate"), $("asset"));
  estate.onScrub = () => renderTimeline();

  const live = new ZT.Live("fac", (v) => render(v));

  ZT.linkReports();

  /** Send a facilitator command; the status line (and `out`, if given) shows the reply. */
  async function command(fields, out, button) {
    if (button) button.disabled = true;
    ZT.status(`Sending ${fields.command}…`, "info");
    try {
      const reply = await live.request("facilitator", fields);
      const text = ZT.replyText(reply);
      ZT.status(text, reply.ok ? "ok" : "error");
      if (out) {
        out.textContent = text;
        out.dataset.kind = reply.ok ? "ok" : "error";
      }
      return reply;
    } finally {
      if (button) button.disabled = false;
    }
  }

  for (const b of document.querySelectorAll("button[data-cmd]")) {
    b.addEventListener("click", () => command(JSON.parse(b.dataset.cmd), null, b));
  }

  function onSubmit(id, fn) {
    $(id).addEventListener("submit", (ev) => {
      ev.preventDefault();
      fn(ev);
    });
  }

  onSubmit("f-advance-to", () => command({ command: "advance", to: $("advance-to").value.trim() }));
  onSubmit("f-rewind", () => command({ command: "rewind", to: $("rewind-to").value.trim() }));
  onSubmit("f-branch", (ev) => {
    const op = ev.submitter && ev.submitter.value === "switch" ? "switch" : "branch";
    command({ command: op, name: $("branch-name").value.trim() });
  });
  $("b-pause").addEventListener("click", (ev) =>
    command({ command: "pause", on: !(view && view.clock.paused) }, null, ev.currentTarget));
  $("b-reveal").addEventListener("click", (ev) =>
    command({ command: "reveal", on: !(view && view.clock.revealed) }, null, ev.currentTarget));
  $("b-end").addEventListener("click", (ev) => {
    if (confirm("End the exercise? Players can no longer act; the report is final.")) {
      command({ command: "end" }, null, ev.currentTarget);
    }
  });
  onSubmit("f-inject", async () => {
    const line = $("inject-line").value.trim();
    if (!line) return;
    const reply = await command({ command: "inject", line }, $("inject-result"));
    if (reply.ok) $("inject-line").value = "";
  });
  onSubmit("f-alert", async () => {
    const asset = $("alert-asset").value.trim();
    const text = $("alert-text").value.trim();
    if (!asset || !text) return;
    const reply = await command({ command: "alert", asset, text }, $("alert-result"));
    if (reply.ok) { $("alert-asset").value = ""; $("alert-text").value = ""; }
  });
  onSubmit("f-message", async () => {
    const text = $("message-text").value.trim();
    if (!text) return;
    const reply = await command({ command: "message", to: $("message-to").value, text });
    if (reply.ok) $("message-text").value = "";
  });
  onSubmit("f-improve", async () => {
    const item = { issue: $("improve-issue").value.trim(), owner: $("improve-owner").value.trim(), priority: $("improve-priority").value };
    if (!item.issue || !item.owner) return;
    const reply = await command(Object.assign({ command: "improve" }, item));
    if (reply.ok) {
      $("improve-issue").value = "";
      $("improve-owner").value = "";
    }
  });

  function renderImprovements(items) {
    fill($("improvements"), items.map((i) =>
      el("li", {}, el("span", { class: `badge p-${i.priority}`, text: i.priority }), ` ${i.issue} — ${i.owner}`)));
  }
  $("tl-filter").addEventListener("change", () => renderTimeline());

  function renderTimeline() {
    if (!view) return;
    const f = $("tl-filter").value;
    ZT.renderTimeline($("timeline"), view.events, { kinds: f ? f.split(",") : null, t: estate.scrubber.t });
  }

  function renderSeats(seats) {
    const rows = seats.map((s) => {
      const url = new URL(s.link, location.origin).href;
      const copy = el("button", { type: "button", class: "small", text: "Copy", "aria-label": `Copy the join link of ${s.seat}` });
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = "Copied";
        } catch (e) {
          window.prompt("Join link:", url);
        }
        setTimeout(() => { copy.textContent = "Copy"; }, 1500);
      });
      const reissue = el("button", { type: "button", class: "small", text: "New", title: "A new join link (the old one stops working)", "aria-label": `Give ${s.seat} a new join link; the old one stops working` });
      reissue.addEventListener("click", (ev) => {
        if (confirm(`Give ${s.seat} a new link? The old link stops working at once.`)) {
          command({ command: "reissue", seat: s.seat }, null, ev.currentTarget);
        }
      });
      return el("tr", {},
        el("td", { text: s.seat }),
        el("td", { text: s.role }),
        el("td", {}, el("span", { class: `dot ${s.connected ? "on" : "off"}`, title: s.connected ? "connected" : "not connected", text: s.connected ? "●" : "○" })),
        el("td", { class: "num", text: s.actions }),
        el("td", { class: "link-cell" }, el("a", { href: url, target: "_blank", rel: "noopener", class: "join", text: "open" }), " ", copy, " ", reissue));
    });
    fill($("seats"), rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "empty", text: "No seats." }))]);
    // The message box: everyone, or one role.
    const sel = $("message-to");
    const roles = [...new Set(seats.map((s) => s.role))];
    const want = ["all", ...roles].join("|");
    if (sel.dataset.roles !== want) {
      const keep = sel.value;
      fill(sel, el("option", { value: "all", text: "everyone" }), roles.map((r) => el("option", { value: r, text: r })));
      sel.dataset.roles = want;
      if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    }
  }

  function renderPending(pending) {
    fill($("pending"), pending.length
      ? pending.map((p) => el("li", {}, el("span", { class: "ev-t", text: fmtT(p.effective_at) }), ` ${p.seat}: ${p.action} ${p.target}`))
      : [el("li", { class: "empty", text: "None." })]);
  }

  function render(v) {
    view = v;
    document.title = `Console · ${v.exercise.title}`;
    $("title").textContent = v.exercise.title;
    ZT.renderClock($("clock"), v.clock);
    $("b-pause").textContent = v.clock.paused ? "Resume" : "Pause";
    $("b-pause").setAttribute("aria-pressed", String(!!v.clock.paused));
    $("b-reveal").textContent = v.clock.revealed ? "Hide attacker" : "Reveal attacker";
    $("b-reveal").setAttribute("aria-pressed", String(!!v.clock.revealed));
    const ended = v.clock.ended !== null && v.clock.ended !== undefined;
    document.body.classList.toggle("ended", ended);
    for (const b of document.querySelectorAll(".col-left button, .col-left input, .col-left select, .col-left textarea")) {
      if (!b.closest("#f-improve")) b.disabled = ended;
    }
    estate.render(v);
    renderTimeline();
    renderSeats(v.seats || []);
    ZT.renderScore($("score"), v.score);
    renderPending(v.pending || []);
    renderImprovements(v.improvements || []);
    ZT.renderObjectives($("objectives"), v.exercise);
    $("notes").textContent = v.exercise.notes || "";
    fill($("branches"), (v.clock.branches || []).map((b) => el("option", { value: b })));
  }
})();
