// ztsim serve: code shared by the facilitator console and the player seats.
//   ZT.el / ZT.fill / ZT.fmtT          DOM and time helpers (server text goes in as textContent)
//   ZT.Live                            the WebSocket link: views in, actions out, each resent
//                                      with its id until replied; POST and polling while down
//   ZT.Graph                           the estate drawn with Cytoscape: boxes per segment or
//                                      pillar, statuses, crown jewels, the attacker's path
//   ZT.Scrubber, ZT.statusAt           the timeline slider: the estate as it stood at time t
//   ZT.EstatePanel                     graph + scrubber + legend + the clicked asset's events
//   ZT.renderTimeline / renderScore / renderClock / renderObjectives / linkReports
// Plain ES2020, no build step, no network call except to the serving origin.
"use strict";

const ZT = (() => {
  // ---------- DOM and formatting ----------

  /** Make an element. attrs: {class, text, title, ...attributes, on: {event: fn}}. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "class") e.className = v;
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (k === "value") e.value = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }

  /** Replace a container's children. */
  function fill(e, ...children) {
    clear(e);
    for (const c of children.flat()) if (c) e.append(c);
    return e;
  }

  /** Hours since the start as the server writes them: T+08:30 (fmt_time). */
  function fmtT(h) {
    if (h === null || h === undefined || Number.isNaN(h)) return "—";
    if (!Number.isFinite(h)) return "T+end";
    const m = Math.round(Math.max(0, h) * 60);
    return `T+${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  }

  const TOKEN = new URLSearchParams(location.search).get("token") || "";

  function status(msg, kind) {
    const box = document.getElementById("status-line");
    if (!box) return;
    box.textContent = msg;
    box.dataset.kind = kind || "info";
  }

  // ---------- the live link ----------

  /**
   * The WebSocket to /ws?token=T with reconnect and backoff. onView(view) gets every view.
   * request(frame) sends {type, id, ...} and resolves with the server's REPLY: a frame is
   * kept until its reply arrives and sent again, with the same id, after every reconnect
   * (the server applies an id once), so nothing is lost or applied twice. While the socket
   * is down, frames go by POST (/api/act or /api/facilitator) and the view is polled.
   */
  class Live {
    constructor(prefix, onView) {
      this.prefix = prefix;
      this.onView = onView;
      const r = new Uint8Array(4);
      crypto.getRandomValues(r);
      this.session = Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("");
      this.counter = 0;
      this.pending = new Map(); // id -> {frame, resolve, sentAt, posting}
      this.ws = null;
      this.backoff = 500;
      this.lastSeq = -1;
      this.pollTimer = null;
      this.onState = () => {};
      Live.current = this; // for the browser test
      this.connect();
      setInterval(() => this.resendStale(), 3000);
    }

    get up() {
      return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
    }

    nextId() {
      this.counter += 1;
      return `${this.prefix}-${this.session}-${this.counter}`;
    }

    connect() {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${proto}//${location.host}/ws?token=${encodeURIComponent(TOKEN)}`;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        this.retry();
        return;
      }
      this.ws = ws;
      ws.addEventListener("open", () => {
        this.backoff = 500;
        this.stopPolling();
        this.onState(true);
        status("Connected.", "ok");
        for (const p of this.pending.values()) this.sendFrame(p);
      });
      ws.addEventListener("message", (ev) => this.receive(ev.data));
      ws.addEventListener("close", () => {
        if (this.ws === ws) {
          this.ws = null;
          this.onState(false);
          status("Connection lost; reconnecting…", "warn");
          this.startPolling();
          this.retry();
        }
      });
      ws.addEventListener("error", () => {
        /* close follows */
      });
    }

    retry() {
      const wait = this.backoff + Math.random() * 250;
      this.backoff = Math.min(this.backoff * 2, 10000);
      setTimeout(() => this.connect(), wait);
    }

    receive(data) {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (e) {
        return;
      }
      if (msg.type === "view" && msg.view) this.view(msg.view);
      else if (msg.type === "reply") this.settle(msg.id, msg.reply);
      else if (msg.type === "error" && msg.error) status(`Server: ${msg.error.message || msg.error.code}`, "error");
    }

    view(v) {
      if (typeof v.seq === "number" && v.seq < this.lastSeq) return; // an older poll
      // After the first view of a connection, the server sends only the events this page
      // does not have yet (events_from says how many it has): append them.
      if (typeof v.events_from === "number") {
        const had = this.events || [];
        if (had.length < v.events_from) { this.poll(); return; } // out of step: a whole view
        v.events = had.slice(0, v.events_from).concat(v.events || []);
        delete v.events_from;
      }
      this.events = v.events || [];
      this.lastSeq = typeof v.seq === "number" ? v.seq : this.lastSeq;
      // Views that arrive in a burst are drawn once, the newest.
      const first = this.nextView === undefined;
      this.nextView = v;
      if (first) {
        setTimeout(() => {
          const latest = this.nextView;
          this.nextView = undefined;
          this.onView(latest);
        }, 0);
      }
    }

    settle(id, reply) {
      const p = this.pending.get(id);
      if (!p) return; // already settled (a duplicate reply)
      this.pending.delete(id);
      p.resolve(reply || { ok: false, error: { code: "bad_reply", message: "empty reply" } });
    }

    /** Send {type:"act"|"facilitator", ...fields}; resolves with the REPLY. */
    request(type, fields) {
      const id = this.nextId();
      const frame = Object.assign({ type, id }, fields);
      return new Promise((resolve) => {
        const p = { frame, resolve, sentAt: 0, posting: false };
        this.pending.set(id, p);
        this.sendFrame(p);
      });
    }

    sendFrame(p) {
      p.sentAt = Date.now();
      if (this.up) {
        this.ws.send(JSON.stringify(p.frame));
      } else {
        this.post(p);
      }
    }

    async post(p) {
      if (p.posting) return;
      p.posting = true;
      const { type, ...body } = p.frame;
      body.token = TOKEN;
      const url = type === "facilitator" ? "/api/facilitator" : "/api/act";
      try {
        const r = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        // A reply (ok or a refusal with its code) settles the request; anything else (a
        // proxy's error page, a dropped connection) leaves it pending to be sent again.
        const reply = await r.json();
        if (typeof reply !== "object" || reply === null || !("ok" in reply)) throw new Error(`HTTP ${r.status}`);
        this.settle(p.frame.id, reply);
        if (!this.up) this.poll();
      } catch (e) {
        // Kept pending: sent again on reconnect or by resendStale.
      } finally {
        p.posting = false;
      }
    }

    resendStale() {
      const now = Date.now();
      for (const p of this.pending.values()) if (now - p.sentAt > 4000) this.sendFrame(p);
    }

    async poll() {
      try {
        const r = await fetch(`/api/view?token=${encodeURIComponent(TOKEN)}`);
        if (r.ok) this.view(await r.json());
      } catch (e) {
        /* still down */
      }
    }

    startPolling() {
      if (!this.pollTimer) this.pollTimer = setInterval(() => this.poll(), 5000);
    }

    stopPolling() {
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  }

  // ---------- statuses ----------

  const STATUS = {
    compromised: { fill: "#d62728", text: "#ffffff", words: "held by the attacker" },
    lost: { fill: "#f7b6c2", text: "#1a1a1a", words: "held earlier, lost since" },
    detected: { fill: "#ff9f40", text: "#1a1a1a", words: "named in an alert" },
    contained: { fill: "#6baed6", text: "#1a1a1a", words: "contained" },
    suspected: { fill: "#ffe066", text: "#1a1a1a", words: "suspected" },
    clean: { fill: "#ffffff", text: "#1a1a1a", words: "clean / no news" },
  };

  const IDENTITY_KINDS = new Set(["user", "admin", "service_account", "guest"]);
  const DEVICE_KINDS = new Set(["workstation", "laptop", "server", "mobile", "iot", "byod"]);
  const INFRA_KINDS = new Set([
    "domain_controller", "hypervisor", "cluster", "cloud_subscription", "certificate_authority",
  ]);
  const DATA_KINDS = new Set(["database", "file_share", "bucket", "mailbox"]);

  function shapeOf(kind) {
    if (IDENTITY_KINDS.has(kind) || kind === "group") return "ellipse";
    if (DEVICE_KINDS.has(kind)) return "round-rectangle";
    if (INFRA_KINDS.has(kind)) return "diamond";
    if (DATA_KINDS.has(kind)) return "barrel";
    return "hexagon"; // applications and the rest
  }

  /**
   * Each asset's status at time t, replaying what happened up to then: the last alert
   * (detected), effect (contained, unless it had no effect) or successful attack step
   * (compromised, from `path`) per asset. A seat's action on an asset with no status yet
   * marks it suspected. Assets compromised then and lost by now show as lost.
   */
  function statusAt(view, t) {
    const out = {};
    const items = [];
    for (const e of view.events || []) {
      if (e.t <= t && e.kind !== "attack") items.push(e);
    }
    for (const p of view.path || []) {
      if (p.t <= t && p.success) items.push({ t: p.t, kind: "attack", assets: [p.dst] });
    }
    items.sort((a, b) => a.t - b.t);
    for (const e of items) {
      for (const a of e.assets || []) {
        if (!a) continue;
        if (e.kind === "alert") out[a] = "detected";
        else if (e.kind === "effect" && !/had no effect/.test(e.text || "")) out[a] = "contained";
        else if (e.kind === "attack") out[a] = "compromised";
        else if (e.kind === "action" && !out[a]) out[a] = "suspected";
      }
    }
    const live = view.status || {};
    for (const [a, s] of Object.entries(out)) {
      if (s === "compromised" && live[a] === "lost") out[a] = "lost";
    }
    return out;
  }

  const PILLAR_GROUPS = /^(Identities|Cloud and internet-facing applications|Data \(cloud or unplaced\)|Infrastructure \(cloud or unplaced\)|Devices in no segment)$/;

  /**
   * The segment a group of the map stands for (what `block` names), or null for a pillar
   * group: the group's `segment` when the server sends one, else the id before " — " in
   * its title ("servers — Server VLAN").
   */
  function segmentOf(group) {
    if ("segment" in group) return group.segment || null;
    if (PILLAR_GROUPS.test(group.title)) return null;
    return group.title.split(" — ")[0];
  }

  // ---------- the graph ----------

  const STYLE = [
    {
      selector: "node",
      style: {
        "background-color": "data(fill)",
        "border-color": "#4a4f57",
        "border-width": 1.5,
        shape: "data(shape)",
        width: 26,
        height: 26,
        label: "data(label)",
        "font-family": "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Liberation Sans, Arial, sans-serif",
        "font-size": 11,
        color: "#1a1a1a",
        "text-valign": "bottom",
        "text-margin-y": 3,
        "text-wrap": "ellipsis",
        "text-max-width": 94,
        "min-zoomed-font-size": 7,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.75,
        "text-background-padding": 1,
      },
    },
    { selector: "node.extra", style: { "border-style": "dashed" } },
    {
      selector: "node.jewel",
      style: { "border-width": 4, "border-color": "#7a1fa2", "border-style": "double", width: 32, height: 32 },
    },
    {
      selector: ":parent",
      style: {
        "background-color": "#eef1f5",
        "background-opacity": 1,
        "border-color": "#9aa4b1",
        "border-width": 1,
        shape: "round-rectangle",
        label: "data(label)",
        "font-size": "data(fs)",
        "font-weight": "bold",
        color: "#27313d",
        "text-valign": "top",
        "text-halign": "center",
        "text-margin-y": -4,
        "text-max-width": "data(tw)",
        "text-wrap": "ellipsis",
        "min-zoomed-font-size": 4,
        "text-background-opacity": 0,
        padding: 14,
      },
    },
    {
      selector: "edge.link",
      style: {
        width: 1,
        "line-color": "#9aa4b1",
        "curve-style": "haystack",
        opacity: 0.5,
        display: "none",
      },
    },
    { selector: "edge.link.shown", style: { display: "element" } },
    {
      selector: "edge.path",
      style: {
        width: 2.5,
        "line-color": "#c0151f",
        "target-arrow-color": "#c0151f",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        opacity: 0.9,
        "z-index": 10,
      },
    },
    { selector: "edge.path.failed", style: { "line-style": "dashed", width: 1.5, opacity: 0.6 } },
    { selector: "edge.path.future", style: { display: "none" } },
    {
      selector: "node:selected",
      style: { "overlay-color": "#1f5fbf", "overlay-opacity": 0.18, "border-color": "#1f5fbf", "border-width": 3 },
    },
  ];

  /**
   * The view's estate, plus a box for what the attacker's path or the statuses name that
   * the estate leaves out (AD groups, whose rights the attacker uses): so that a step from
   * a group draws as an edge. Segments (drawn as their boxes), the internet and virtual
   * nodes (`@…`) are not added.
   */
  function withExtras(view) {
    const est = view.estate || { groups: [], nodes: [], links: [] };
    const known = new Set(est.nodes.map((n) => n.id));
    for (const g of est.groups) if (g.segment) known.add(g.segment);
    const extra = new Set();
    const add = (id) => {
      if (id && !known.has(id) && id !== "internet" && !id.startsWith("@")) extra.add(id);
    };
    for (const p of view.path || []) {
      add(p.src);
      add(p.dst);
    }
    for (const id of Object.keys(view.status || {})) add(id);
    if (!extra.size) return est;
    const gid = "extra";
    return {
      groups: [...est.groups, { id: gid, title: "Groups on the attack path", segment: null }],
      nodes: [...est.nodes, ...[...extra].sort().map((id) => ({ id, label: id, kind: "group", group: gid, crown_jewel: false, extra: true }))],
      links: est.links || [],
    };
  }

  /** The estate in a Cytoscape instance: positions stay put between views. */
  class Graph {
    constructor(container, opts) {
      this.container = container;
      this.opts = opts || {};
      this.key = null;
      this.view = null;
      this.cy = cytoscape({
        container,
        style: STYLE,
        elements: [],
        minZoom: 0.1,
        maxZoom: 3,
        boxSelectionEnabled: false,
        autoungrabify: false,
      });
      this.cy.on("tap", "node", (ev) => {
        const n = ev.target;
        if (n.isParent()) return;
        if (this.opts.onSelect) this.opts.onSelect(n.id());
        this.showLinksOf(n.id());
      });
      this.cy.on("tap", (ev) => {
        if (ev.target === this.cy) this.showLinksOf(null);
      });
      this.showAllLinks = false;
      this.selected = null;
      Graph.current = this; // for the browser test
      // Panels settle after the first view: keep the drawing fitted to the box while the
      // user has not zoomed or panned it.
      this.userMoved = false;
      this.cy.on("viewport", () => {
        if (!this.fitting) this.userMoved = true;
      });
      new ResizeObserver(() => {
        this.cy.resize();
        if (!this.userMoved) this.fit();
      }).observe(container);
    }

    /** Draw a view: relayout only when the set of assets changes, otherwise restyle. */
    update(view, statuses, t) {
      this.view = view;
      const est = withExtras(view);
      this.segments = new Map(est.groups.filter((g) => g.segment).map((g) => [g.segment, "grp:" + g.id]));
      const key = est.groups.map((g) => g.id).join("|") + "#" + est.nodes.map((n) => n.id + "@" + n.group).join("|");
      if (key !== this.key) {
        this.key = key;
        this.build(est);
      }
      this.paint(statuses || view.status || {});
      this.drawPath(view.path || [], t === undefined ? Infinity : t);
    }

    build(est) {
      const cy = this.cy;
      const groups = new Set(est.groups.map((g) => g.id));
      const nodes = new Set(est.nodes.map((n) => n.id));
      const els = [];
      for (const g of est.groups) els.push({ group: "nodes", data: { id: "grp:" + g.id, label: g.title, tw: 300, fs: 12 } });
      for (const n of est.nodes) {
        els.push({
          group: "nodes",
          data: {
            id: n.id,
            label: (n.crown_jewel ? "★ " : "") + (n.label || n.id),
            parent: groups.has(n.group) ? "grp:" + n.group : undefined,
            shape: shapeOf(n.kind),
            fill: STATUS.clean.fill,
            kind: n.kind,
          },
          classes: (n.crown_jewel ? "jewel" : "") + (n.extra ? " extra" : ""),
        });
      }
      let i = 0;
      for (const l of est.links || []) {
        if (!nodes.has(l.src) || !nodes.has(l.dst) || l.src === l.dst) continue;
        els.push({ group: "edges", data: { id: "l" + i++, source: l.src, target: l.dst, kind: l.kind }, classes: "link" });
      }
      cy.batch(() => {
        cy.elements().remove();
        cy.add(els);
      });
      this.layout(est);
      this.applyLinkVisibility();
    }

    /**
     * Groups as boxes on shelves, members on a grid inside each box: deterministic, fast at
     * 300 assets, and labels do not overlap. Of a few box shapes and shelf widths, the one
     * drawn largest in the panel wins.
     */
    layout(est) {
      const cy = this.cy;
      const dx = 100;
      const dy = 64;
      const gap = 60;
      const members = new Map(est.groups.map((g) => [g.id, []]));
      const loose = [];
      for (const n of est.nodes) (members.has(n.group) ? members.get(n.group) : loose).push(n.id);
      const boxes = est.groups.map((g) => ({ id: g.id, ids: members.get(g.id), title: g.title }));
      if (loose.length) boxes.push({ id: null, ids: loose, title: "" });
      const shown = boxes.filter((b) => b.ids.length);
      const rect = this.container.getBoundingClientRect();
      const cw = rect.width > 50 ? rect.width : 900;
      const ch = rect.height > 50 ? rect.height : 600;

      const arrange = (factor, shelfW) => {
        const pos = {};
        const widths = {};
        let x = 0;
        let y = 0;
        let shelfH = 0;
        let maxW = 0;
        for (const b of shown) {
          const n = b.ids.length;
          let cols = Math.max(1, Math.round(Math.sqrt(n * factor)));
          // Wide enough for most of its title.
          cols = Math.max(cols, Math.ceil(Math.min(b.title.length * 7, 320) / dx));
          cols = Math.min(cols, n);
          const w = cols * dx;
          const h = Math.ceil(n / cols) * dy;
          if (x > 0 && x + w > shelfW) {
            x = 0;
            y += shelfH + gap;
            shelfH = 0;
          }
          b.ids.forEach((id, k) => {
            pos[id] = { x: x + (k % cols) * dx, y: y + Math.floor(k / cols) * dy };
          });
          widths[b.id] = w;
          x += w + gap;
          maxW = Math.max(maxW, x - gap);
          shelfH = Math.max(shelfH, h);
        }
        const height = y + shelfH;
        const scale = Math.min(cw / (maxW + 80), ch / (height + 80));
        return { pos, widths, scale };
      };
      let best = null;
      const total = shown.reduce((s, b) => s + b.ids.length, 0) || 1;
      for (const factor of [0.5, 1, 1.8, 3, 5]) {
        for (const k of [0.6, 0.8, 1, 1.25, 1.6, 2, 2.5, 3.2]) {
          const shelfW = Math.sqrt(total * dx * dy * 2 * (cw / ch)) * k;
          const r = arrange(factor, shelfW);
          if (!best || r.scale > best.scale * 1.001) best = r;
        }
      }
      cy.batch(() => {
        for (const b of shown) {
          if (b.id !== null) cy.getElementById("grp:" + b.id).data("tw", Math.max(60, best.widths[b.id] + 10));
        }
      });
      cy.layout({ name: "preset", positions: (n) => best.pos[n.id()] || { x: 0, y: 0 }, fit: false }).run();
      this.fit();
    }

    paint(statuses) {
      this.cy.batch(() => {
        this.cy.nodes().forEach((n) => {
          if (n.isParent()) return;
          const s = STATUS[statuses[n.id()]] || STATUS.clean;
          if (n.data("fill") !== s.fill) n.data("fill", s.fill);
        });
      });
    }

    drawPath(path, t) {
      const cy = this.cy;
      cy.batch(() => {
        const have = cy.edges(".path");
        const want = new Set();
        // An end is an asset on the graph, or a segment's box (a network scan, a step from
        // a foothold in a segment); steps from outside have none and are not drawn.
        const end = (id) => {
          if (!id) return null;
          if (this.segments.has(id)) return this.segments.get(id);
          return cy.getElementById(id).nonempty() ? id : null;
        };
        path.forEach((p, i) => {
          const src = end(p.src);
          const dst = end(p.dst);
          if (!src || !dst || src === dst) return;
          const id = `p${i}:${src}>${dst}`;
          want.add(id);
          let e = cy.getElementById(id);
          if (e.empty()) {
            e = cy.add({ group: "edges", data: { id, source: src, target: dst }, classes: "path" });
          }
          e.toggleClass("failed", !p.success);
          e.toggleClass("future", p.t > t);
        });
        have.forEach((e) => {
          if (!want.has(e.id())) e.remove();
        });
      });
    }

    setShowAllLinks(on) {
      this.showAllLinks = on;
      this.applyLinkVisibility();
    }

    showLinksOf(id) {
      this.selected = id;
      this.applyLinkVisibility();
    }

    applyLinkVisibility() {
      const cy = this.cy;
      cy.batch(() => {
        cy.edges(".link").forEach((e) => {
          const on = this.showAllLinks || (this.selected && (e.data("source") === this.selected || e.data("target") === this.selected));
          e.toggleClass("shown", !!on);
        });
      });
    }

    select(id) {
      this.cy.nodes(":selected").unselect();
      const n = this.cy.getElementById(id);
      if (n.nonempty()) {
        n.select();
        this.showLinksOf(id);
      }
    }

    fit() {
      this.fitting = true;
      this.cy.fit(undefined, 20);
      this.fitting = false;
      this.userMoved = false;
      // Box titles stay readable (about 11 px on screen) however small the fit makes the
      // drawing; asset labels show once zoomed in far enough.
      const fs = Math.min(40, Math.max(12, 11 / this.cy.zoom()));
      this.cy.batch(() => this.cy.nodes(":parent").forEach((n) => {
        if (n.data("fs") !== fs) n.data("fs", fs);
      }));
    }
  }

  /** The legend of statuses and shapes, under the graph. */
  function legend() {
    const items = Object.entries(STATUS).map(([k, s]) =>
      el("span", { class: "legend-item" }, el("span", { class: "swatch", style: `background:${s.fill}` }), k));
    items.push(el("span", { class: "legend-item" }, el("span", { class: "swatch jewel" }), "★ crown jewel"));
    items.push(el("span", { class: "legend-item" }, el("span", { class: "swatch pathline" }), "attack path"));
    return el("div", { class: "legend", "aria-label": "Legend" }, items);
  }

  // ---------- the scrubber ----------

  /**
   * A range input over 0..now. While live it follows the clock; moving it shows the graph
   * as it stood then (onScrub(t) with t, or null for live).
   */
  class Scrubber {
    constructor(root, onScrub) {
      this.onScrub = onScrub;
      this.live = true;
      this.now = 0;
      this.input = el("input", {
        type: "range", min: "0", max: "0", step: "0.05", value: "0", id: "scrub-time",
        "aria-label": "Show the estate at time",
      });
      this.label = el("output", { for: "scrub-time", class: "scrub-time", text: "live" });
      this.button = el("button", { type: "button", class: "small", text: "Live", "aria-pressed": "true" });
      this.input.addEventListener("input", () => {
        const t = Number(this.input.value);
        this.live = t >= this.now;
        this.show();
      });
      this.button.addEventListener("click", () => {
        this.live = true;
        this.input.value = String(this.now);
        this.show();
      });
      fill(root, el("span", { class: "scrub-title", text: "Timeline" }), this.input, this.label, this.button);
    }

    setNow(now) {
      this.now = Math.max(0, now || 0);
      this.input.max = String(this.now);
      if (this.live) this.input.value = String(this.now);
      this.show(true);
    }

    /** The time shown: null when live. */
    get t() {
      return this.live ? null : Number(this.input.value);
    }

    show(quiet) {
      this.label.textContent = this.live ? `live (${fmtT(this.now)})` : `at ${fmtT(Number(this.input.value))}`;
      this.button.setAttribute("aria-pressed", String(this.live));
      this.button.disabled = this.live;
      if (!quiet) this.onScrub(this.t);
    }
  }

  // ---------- panels ----------

  const KIND_LABEL = {
    alert: "Alert", action: "Action", effect: "Effect", inject: "Inject", message: "Message",
    hint: "Hint", expectation: "Score", attack: "Attack", clock: "Clock",
  };

  /** The events as a list, newest last; events after `t` (when scrubbing) dimmed. */
  function renderTimeline(box, events, opts) {
    const o = opts || {};
    const kinds = o.kinds ? new Set(o.kinds) : null;
    const shown = (events || []).filter((e) => !kinds || kinds.has(e.kind));
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    const rows = shown.map((e) =>
      el("li", { class: `ev ev-${e.kind}${o.t !== null && o.t !== undefined && e.t > o.t ? " later" : ""}` },
        el("span", { class: "ev-t", text: fmtT(e.t) }),
        el("span", { class: `badge k-${e.kind}`, text: KIND_LABEL[e.kind] || e.kind }),
        el("span", { class: "ev-text", text: e.seat && !(e.text || "").includes(e.seat) ? `${e.seat}: ${e.text}` : e.text })));
    if (!rows.length) rows.push(el("li", { class: "empty", text: o.empty || "Nothing yet." }));
    fill(box, rows);
    if (stick) box.scrollTop = box.scrollHeight;
  }

  /** The expectations and the total: each a title over a line of role, deadline, state and points. */
  function renderScore(box, score) {
    const s = score || { total: 0, max: 0, expectations: [] };
    const head = el("p", { class: "score-total" },
      el("strong", { text: `${s.total} / ${s.max}` }), " points");
    const rows = (s.expectations || []).map((x) =>
      el("li", { class: `exp st-${x.state}` },
        el("span", { class: "exp-title", text: x.title }),
        el("span", { class: "exp-meta" },
          el("span", { class: `badge s-${x.state}`, text: x.state }),
          el("span", { text: x.role }),
          el("span", { text: `by ${x.by_text || fmtT(x.by)}` }),
          x.at !== null && x.at !== undefined ? el("span", { text: `done ${fmtT(x.at)}${x.seat ? ` (${x.seat})` : ""}` }) : null,
          el("span", { class: "exp-points", text: `${x.earned ?? 0}/${x.points}` }))));
    fill(box, head, el("ul", { class: "plain expectations" },
      rows.length ? rows : [el("li", { class: "empty", text: "No expectations." })]));
  }

  /** The selected asset: what it is, its status and the events naming it. */
  function renderAsset(box, view, id, statuses) {
    const est = view.estate || { nodes: [], groups: [] };
    const n = est.nodes.find((x) => x.id === id) ||
      (id && { id, label: id, kind: "not on the estate map (a group or other)", group: null, crown_jewel: false });
    if (!n) {
      fill(box, el("p", { class: "hint-text", text: "Click an asset in the graph to see its events." }));
      return;
    }
    const g = est.groups.find((x) => x.id === n.group);
    const st = (statuses || view.status || {})[id] || "clean";
    const evs = (view.events || []).filter((e) => (e.assets || []).includes(id)); // attack steps too, when shown
    const items = evs.map((e) => el("li", {}, el("span", { class: "ev-t", text: fmtT(e.t) }),
      el("span", { class: `badge k-${e.kind}`, text: KIND_LABEL[e.kind] || e.kind }), el("span", { text: e.text })));
    fill(box,
      el("h3", {}, (n.crown_jewel ? "★ " : "") + (n.label || n.id)),
      el("p", { class: "asset-meta" },
        el("code", { text: n.id }), ` · ${n.kind}`, g ? ` · ${g.title}` : "", " · ",
        el("span", { class: `badge st-${st}`, text: st })),
      items.length ? el("ul", { class: "asset-events" }, items) : el("p", { class: "hint-text", text: "No events name this asset." }));
  }

  /** The clock line: T+…, paused, ended, branch. */
  function renderClock(box, clock) {
    const c = clock || {};
    fill(box,
      el("span", { class: "clock-now", text: c.text || fmtT(c.now) }),
      c.paused ? el("span", { class: "badge b-paused", text: "paused" }) : null,
      c.ended !== null && c.ended !== undefined ? el("span", { class: "badge b-ended", text: "ended" }) : null,
      c.revealed ? el("span", { class: "badge b-revealed", text: "revealed" }) : null,
      c.branch && c.branch !== "main" ? el("span", { class: "badge", text: `branch ${c.branch}` }) : null,
      typeof c.blast_radius === "number" ? el("span", { class: "badge b-blast", title: "assets the attacker holds", text: `blast radius ${c.blast_radius}` }) : null);
  }

  /** Point the report links (#report-html, #report-pdf, #report-layer) at this token's report. */
  function linkReports() {
    for (const [id, path] of [["report-html", "/report.html"], ["report-pdf", "/report.pdf"], ["report-layer", "/layer.json"]]) {
      const a = document.getElementById(id);
      if (a) a.href = `${path}?token=${encodeURIComponent(TOKEN)}`;
    }
  }

  /** The exercise's objectives as a list. */
  function renderObjectives(box, exercise) {
    const obj = (exercise && exercise.objectives) || [];
    fill(box, obj.map((o) => el("li", { text: o })));
  }

  /**
   * The estate panel: a heading with the links toggle and a Fit button, the graph, the
   * scrubber and the legend, built inside `root`; the selected asset's details go to
   * `assetBox`. onSelect(id) is told when an asset is clicked.
   */
  class EstatePanel {
    constructor(root, assetBox, onSelect) {
      this.view = null;
      this.selected = null;
      this.assetBox = assetBox;
      this.onSelect = onSelect || (() => {});
      const links = el("input", { type: "checkbox", id: "show-links" });
      const fit = el("button", { type: "button", class: "small", id: "b-fit", text: "Fit" });
      const graphBox = el("div", { id: "graph", class: "graph", role: "img", "aria-label": "The estate graph" });
      const scrubBox = el("div", { id: "scrub", class: "scrub" });
      fill(root,
        el("div", { class: "panel-head" }, el("h2", { text: "Estate" }),
          el("label", { class: "check" }, links, "all links"), fit),
        graphBox, scrubBox, legend());
      this.graph = new Graph(graphBox, {
        onSelect: (id) => {
          this.selected = id;
          this.showAsset();
          this.onSelect(id);
        },
      });
      this.scrubber = new Scrubber(scrubBox, () => this.draw());
      links.addEventListener("change", () => this.graph.setShowAllLinks(links.checked));
      fit.addEventListener("click", () => this.graph.fit());
      this.onScrub = () => {};
    }

    render(view) {
      this.view = view;
      this.scrubber.setNow(view.clock ? view.clock.now : 0);
      this.draw();
    }

    /** The statuses shown: live, or replayed to the scrubber's time. */
    statuses() {
      const t = this.scrubber.t;
      return t === null ? this.view.status || {} : statusAt(this.view, t);
    }

    draw() {
      if (!this.view) return;
      const t = this.scrubber.t;
      this.graph.update(this.view, this.statuses(), t === null ? undefined : t);
      this.showAsset();
      this.onScrub(t);
    }

    showAsset() {
      if (this.assetBox && this.view) renderAsset(this.assetBox, this.view, this.selected, this.statuses());
    }
  }

  /** What a reply says, for the status line. */
  function replyText(reply) {
    if (!reply) return "No reply.";
    if (reply.ok) return reply.text || "Done.";
    const e = reply.error || {};
    return `${e.code || "error"}: ${e.message || "failed"}`;
  }

  return {
    el, clear, fill, fmtT, TOKEN, status, Live, Graph, Scrubber, EstatePanel, statusAt, legend,
    renderTimeline, renderScore, renderAsset, renderClock, renderObjectives, replyText, linkReports,
    STATUS, IDENTITY_KINDS, DATA_KINDS, segmentOf,
  };
})();
