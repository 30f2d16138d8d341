// The operator view: every call leg live (GET /api/v1/legs, then the /api/v1/legs/events
// stream), sortable, coloured by quality; and one leg's detail with its moves and a loss/jitter
// sparkline drawn from what the stream reported while the page was open.
//
// Every field may be absent (older servers, legs without media yet): a missing value shows "—".
// `loss` and `loss_window` are fractions (0.0–1.0), shown as percentages.

import { api, follow, h, showError } from "./api.js";

const HISTORY = 120; // points kept per leg for the sparkline (two minutes of 1 s stats)

const dash = "—";
const pct = (x) => (typeof x === "number" ? `${(x * 100).toFixed(x < 0.1 ? 2 : 1)} %` : dash);
const ms = (x) => (typeof x === "number" ? `${Math.round(x)} ms` : dash);
const num = (x, d = 0) => (typeof x === "number" ? x.toFixed(d) : dash);
const text = (x) => (x === undefined || x === null || x === "" ? dash : String(x));

/** The table's columns: header, how a leg shows, what it sorts by. */
const COLUMNS = [
  ["Leg", (l) => text(l.id), (l) => l.id],
  ["Name", (l) => text(l.name || l.identity), (l) => l.name || l.identity || ""],
  ["Remote", (l) => text(l.remote), (l) => l.remote || ""],
  ["Transport", (l) => text(l.transport), (l) => l.transport || ""],
  ["State", (l) => text(l.state), (l) => l.state || ""],
  ["Meeting", (l) => text(l.meeting), (l) => l.meeting || ""],
  ["Room", (l) => text(l.room), (l) => l.room || ""],
  ["Codec", (l) => text([l.audio_codec, l.video_codec].filter(Boolean).join(" + ")), (l) => l.audio_codec || ""],
  ["Loss", (l) => pct(l.loss_window ?? l.loss), (l) => l.loss_window ?? l.loss ?? -1],
  ["Jitter", (l) => ms(l.jitter_ms), (l) => l.jitter_ms ?? -1],
  ["RTT", (l) => ms(l.rtt_ms), (l) => l.rtt_ms ?? -1],
  ["MOS", (l) => num(l.mos, 2), (l) => l.mos ?? 99],
  ["Moves", (l) => String(l.moves?.length ?? 0), (l) => l.moves?.length ?? 0],
  ["Quality", (l) => (l.quality ? h(`span.quality.${l.quality}`, {}, l.quality) : dash), (l) => ["good", "fair", "poor", "bad"].indexOf(l.quality)],
];

export function opsView(root, legId) {
  const legs = new Map(); // id → the latest leg object
  const history = new Map(); // id → [{loss, jitter}]
  let sort = { col: 8, desc: true }; // worst loss first
  let lastMessage = 0;
  let available = true;

  /** The API nests live figures under `stats` and names the transport `protocol`; the table
   *  reads one flat record. */
  function flatten(leg) {
    const s = leg.stats || {};
    const flat = { ...leg, ...s };
    delete flat.stats;
    if (leg.protocol !== undefined) flat.transport ??= leg.protocol;
    if (s.loss_total !== undefined) flat.loss ??= s.loss_total;
    if (s.loss_20s !== undefined) flat.loss_window ??= s.loss_20s;
    return flat;
  }

  /** Folds a (partial) leg into what we know, and records a sparkline point. */
  function merge(raw) {
    const leg = flatten(raw);
    const id = String(leg.id);
    const prev = legs.get(id) || {};
    const next = { ...prev, ...leg, id: leg.id };
    legs.set(id, next);
    const loss = next.loss_window ?? next.loss;
    if (typeof loss === "number" || typeof next.jitter_ms === "number") {
      const h = history.get(id) || [];
      h.push({ loss: loss ?? 0, jitter: next.jitter_ms ?? 0 });
      if (h.length > HISTORY) h.shift();
      history.set(id, h);
    }
  }

  async function refresh() {
    try {
      if (legId !== undefined) merge(await api("GET", `/legs/${encodeURIComponent(legId)}`));
      else {
        const list = await api("GET", "/legs");
        const seen = new Set(list.map((l) => String(l.id)));
        for (const id of legs.keys()) if (!seen.has(id)) legs.delete(id);
        list.forEach(merge);
      }
      available = true;
    } catch (e) {
      if (e.problem?.status === 404 && e.problem?.type === "/problems/no-such-route") available = false;
      else showError(e);
    }
    draw();
  }

  // The stream (docs/operators.md): `snapshot` {legs}, `started`/`updated` {leg}, `moved`
  // (its `updated` follows with the moves), `quality` {leg: id, from, to}, `stats` once a second
  // {legs: [partial legs: id, quality, stats]}, `ended` {leg, cdr}. Older or other servers'
  // shapes are folded in too: a whole leg, `{leg: {…}}`, or `{leg: id, …fields}`.
  function onMessage(m) {
    lastMessage = Date.now();
    const forget = (id) => {
      if (legId === undefined) legs.delete(String(id));
    };
    switch (m.type) {
      case "snapshot": {
        const list = Array.isArray(m.legs) ? m.legs : [];
        const seen = new Set(list.map((l) => String(l.id)));
        for (const id of [...legs.keys()]) if (!seen.has(id)) forget(id);
        list.forEach(merge);
        break;
      }
      case "stats":
        if (Array.isArray(m.legs)) m.legs.filter((l) => legs.has(String(l.id))).forEach(merge);
        else if (m.leg !== undefined) mergeFields(m);
        break;
      case "moved":
        break;
      case "quality":
        if (typeof m.leg !== "object") merge({ id: m.leg, quality: m.to });
        break;
      case "ended":
        if (m.leg && typeof m.leg === "object") {
          if (legId === undefined) forget(m.leg.id);
          else merge({ ...m.leg, state: "ended" });
        }
        break;
      default:
        if (Array.isArray(m.legs)) m.legs.forEach(merge);
        else if (m.leg && typeof m.leg === "object") merge(m.leg);
        else if (m.leg !== undefined) mergeFields(m);
        else if (m.id !== undefined) merge(m);
        if (/_(ended|removed|gone)$/.test(m.type || "")) forget(m.leg?.id ?? m.leg ?? m.id);
    }
    drawSoon();
  }

  /** A partial update `{type, leg: id, …fields}`. */
  function mergeFields(m) {
    const { leg, type, seq, ...fields } = m;
    merge({ ...fields, id: leg });
  }

  // Messages can come in bursts: redraw at most four times a second.
  let drawTimer = null;
  const drawSoon = () => {
    drawTimer ??= setTimeout(() => {
      drawTimer = null;
      draw();
    }, 250);
  };

  // ---- drawing ----

  const body = h("div");
  root.append(body);

  function draw() {
    if (!available) {
      body.replaceChildren(
        h("h1", {}, "Call legs"),
        h("p.notice", {}, "This roomgate does not serve the operators' API (/api/v1/legs) yet."),
      );
      return;
    }
    body.replaceChildren(...(legId === undefined ? table() : detail(legs.get(String(legId)))));
  }

  function table() {
    const rows = [...legs.values()].sort((a, b) => {
      const [x, y] = [COLUMNS[sort.col][2](a), COLUMNS[sort.col][2](b)];
      const c = x < y ? -1 : x > y ? 1 : 0;
      return sort.desc ? -c : c;
    });
    const head = COLUMNS.map(([name], i) =>
      h(
        "th.sortable",
        {
          onclick: () => {
            sort = { col: i, desc: sort.col === i ? !sort.desc : false };
            draw();
          },
          class: sort.col === i ? (sort.desc ? "sortable desc" : "sortable asc") : "sortable",
        },
        name,
      ),
    );
    return [
      h("h1", {}, `Call legs (${legs.size})`),
      h(
        "table.list.legs",
        {},
        h("thead", {}, h("tr", {}, ...head)),
        h(
          "tbody",
          {},
          ...rows.map((l) =>
            h(
              `tr.q-${l.quality || "unknown"}`,
              { dataset: { leg: l.id }, onclick: () => (location.hash = `#/legs/${encodeURIComponent(l.id)}`) },
              ...COLUMNS.map(([, show]) => h("td", {}, show(l))),
            ),
          ),
          rows.length ? null : h("tr", {}, h("td", { colSpan: COLUMNS.length }, "No call legs.")),
        ),
      ),
    ];
  }

  function detail(l) {
    const back = h("p.crumbs", {}, h("a", { href: "#/legs" }, "← Call legs"));
    if (!l) return [back, h("p.notice", {}, `Leg ${legId} is not (or no longer) up.`)];
    const facts = [
      ["Call-ID", l.call_id], ["Remote", l.remote], ["Transport", l.transport], ["User agent", l.user_agent],
      ["Identity", l.identity], ["State", l.state], ["Meeting", l.meeting], ["Participant", l.participant],
      ["Room", l.room], ["Audio", l.audio_codec], ["Video", l.video_codec], ["Muted", l.muted],
      ["Packets in / out", l.packets_in !== undefined ? `${l.packets_in} / ${l.packets_out ?? dash}` : undefined],
      ["Bytes in / out", l.bytes_in !== undefined ? `${l.bytes_in} / ${l.bytes_out ?? dash}` : undefined],
      ["Loss (total)", pct(l.loss)], ["Loss (window)", pct(l.loss_window)], ["Jitter", ms(l.jitter_ms)],
      ["RTT", ms(l.rtt_ms)], ["MOS", num(l.mos, 2)],
    ];
    const points = history.get(String(l.id)) || [];
    return [
      back,
      h("h1", {}, `Leg ${l.id} `, l.quality ? h(`span.quality.${l.quality}`, {}, l.quality) : null),
      h("dl.facts", {}, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, text(v))])),
      h("h2", {}, "Loss and jitter"),
      h(
        "div.sparks",
        {},
        sparkline("Loss", points.map((p) => p.loss), pct, "loss"),
        sparkline("Jitter", points.map((p) => p.jitter), ms, "jitter"),
      ),
      h("h2", {}, "Moves"),
      l.moves?.length
        ? h(
            "table.list.moves",
            {},
            h("thead", {}, h("tr", {}, ...["When", "From", "To", "By"].map((t) => h("th", {}, t)))),
            h("tbody", {}, ...l.moves.map((m) => h("tr", {}, ...[m.at, m.from, m.to, m.by].map((v) => h("td", {}, text(v)))))),
          )
        : h("p", {}, "No moves yet."),
    ];
  }

  /** A small SVG line of `values` (newest right), scaled to its own maximum. */
  function sparkline(label, values, fmt, kind) {
    const W = 240, H = 48;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("class", `spark ${kind}`);
    if (values.length > 1) {
      const max = Math.max(...values) || 1;
      // Newest at the right edge; the line grows leftwards as history accumulates.
      const x = (i) => W - ((values.length - 1 - i) / (HISTORY - 1)) * W;
      const pts = values.map((v, i) => `${x(i).toFixed(1)},${(H - 2 - (v / max) * (H - 4)).toFixed(1)}`);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("points", pts.join(" "));
      svg.append(line);
    }
    const last = values.length ? fmt(values[values.length - 1]) : "waiting for stats…";
    return h("figure", {}, svg, h("figcaption", {}, `${label}: ${last}`));
  }

  refresh();
  const stream = follow(() => "/legs/events", { onMessage });
  // Without stream messages (no stream on this server, or a quiet one), poll.
  const poll = setInterval(() => Date.now() - lastMessage > 3000 && refresh(), 2000);
  return () => {
    clearInterval(poll);
    clearTimeout(drawTimer);
    stream.close();
  };
}
