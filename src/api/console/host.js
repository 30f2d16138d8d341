// The host view: the meeting list, and one meeting's main session and breakout rooms as
// columns of participant cards. Cards are dragged with pointer events (so mouse, pen, touch
// and WebDriver's pointer actions all work); a click selects a card for an exchange.
//
// The page never guesses the outcome of a command: it sends it, and redraws from the server's
// state when the meeting's event stream reports the change.

import { api, follow, h, showError, toast } from "./api.js";

export function hostView(root, meetingId) {
  return meetingId ? meetingPage(root, meetingId) : meetingList(root);
}

// ---- meeting list -------------------------------------------------------------------------

function meetingList(root) {
  const body = h("tbody");
  const load = async () => {
    try {
      const meetings = await api("GET", "/meetings");
      body.replaceChildren(
        ...meetings.map((m) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/meetings/${encodeURIComponent(m.id)}` }, m.id)),
            h("td", {}, m.name || ""),
            h("td.num", {}, String(m.participants)),
            h("td", {}, m.breakouts ? h(`span.badge.${m.breakouts}`, {}, m.breakouts) : "—"),
          ),
        ),
      );
      if (!meetings.length) body.append(h("tr", {}, h("td", { colSpan: 4 }, "No meetings yet.")));
    } catch (e) {
      showError(e);
    }
  };
  const id = h("input", { placeholder: "meeting id, e.g. 2000", required: true });
  const name = h("input", { placeholder: "name (optional)" });
  const create = async (e) => {
    e.preventDefault();
    try {
      const m = await api("POST", "/meetings", { id: id.value.trim(), name: name.value.trim() || undefined });
      location.hash = `#/meetings/${encodeURIComponent(m.id)}`;
    } catch (err) {
      showError(err);
    }
  };
  root.append(
    h("h1", {}, "Meetings"),
    h("table.list", {}, h("thead", {}, h("tr", {}, ...["Meeting", "Name", "Participants", "Breakout rooms"].map((t) => h("th", {}, t)))), body),
    h("form.inline", { onsubmit: create }, id, name, h("button", { type: "submit" }, "New meeting")),
  );
  load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}

// ---- one meeting --------------------------------------------------------------------------

function meetingPage(root, id) {
  const path = `/meetings/${encodeURIComponent(id)}`;
  let meeting = null; // the last MeetingView from the server
  let lastSeq = 0; // the last event seen: where the stream resumes after a drop
  let selected = []; // participant ids picked for an exchange, oldest first
  let countdown = null; // {state, seconds, at}: the running timer as last reported
  let dragging = false; // a redraw waits until the card is dropped
  let redrawPending = false;
  let failedConnects = 0;

  const title = h("h1", {}, id);
  const status = h("div.status");
  const board = h("div.board");
  const log = h("ol.log");
  const toolbar = h("div.toolbar");
  const optionsForm = roomsForm();
  const broadcastInput = h("input", { placeholder: "Message to every room", required: true });

  root.append(
    h("p.crumbs", {}, h("a", { href: "#/meetings" }, "← Meetings")),
    title,
    h("div.controls", {}, status, toolbar),
    h(
      "div.forms",
      {},
      optionsForm.el,
      h(
        "form.broadcast",
        { onsubmit: (e) => (e.preventDefault(), send("POST", `${path}/broadcast`, { message: broadcastInput.value }).then((ok) => ok && (broadcastInput.value = ""))) },
        h("h2", {}, "Broadcast"),
        broadcastInput,
        h("button", { type: "submit" }, "Send to all rooms"),
      ),
    ),
    board,
    h("h2", {}, "Events"),
    log,
  );

  /** Sends a command; errors are shown, the redraw comes from the event stream. */
  async function send(method, p, body) {
    try {
      await api(method, p, body);
      return true;
    } catch (e) {
      showError(e);
      return false;
    }
  }

  async function load() {
    try {
      meeting = await api("GET", path);
    } catch (e) {
      showError(e);
      return;
    }
    const b = meeting.breakouts;
    countdown = b && b.seconds_left != null ? { state: b.state, seconds: b.seconds_left, at: Date.now() } : null;
    selected = selected.filter((pid) => meeting.participants.some((p) => p.id === pid));
    if (busy()) redrawPending = true;
    else draw();
  }

  // A redraw would drop the card being dragged or the room name being edited: it waits.
  const busy = () => dragging || board.querySelector("input.rename") !== null;
  function drawIfPending() {
    if (redrawPending && !busy()) {
      redrawPending = false;
      draw();
    }
  }

  // Coalesces a burst of events (an auto-move of 1,000 participants) into one reload.
  let reloadTimer = null;
  const reloadSoon = () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 80);
  };

  // ---- drawing ----

  function draw() {
    title.textContent = meeting.name ? `${meeting.name} (${meeting.id})` : meeting.id;
    optionsForm.update(meeting);
    drawToolbar();
    tick();
    const b = meeting.breakouts;
    const open = b && (b.state === "open" || b.state === "closing");
    const names = new Map((b?.rooms || []).map((r) => [r.id, r.name]));
    // Before the rooms open a card sits where it is assigned (dimmed): the plan.
    const place = (p) => (open || p.room !== "main" ? p.room : p.assigned || "main");
    const columns = [{ id: "main", name: "Main session" }, ...(b?.rooms || [])];
    board.replaceChildren(
      ...columns.map((room) => {
        const people = meeting.participants.filter((p) => place(p) === room.id);
        return h(
          "section.room",
          { dataset: { room: room.id } },
          roomHeader(room, people.length),
          ...people.map((p) => card(p, place(p) !== p.room, names)),
        );
      }),
    );
  }

  function roomHeader(room, count) {
    const name = h("span.name", {}, room.name);
    const header = h("header", {}, name, h("span.count", {}, String(count)));
    if (room.id === "main") return header;
    const rename = () => {
      const input = h("input.rename", { value: room.name });
      let finished = false;
      const done = async (save) => {
        if (finished) return;
        finished = true;
        if (save && input.value.trim() && input.value !== room.name) {
          await send("PATCH", `${path}/breakouts/rooms/${room.id}`, { name: input.value.trim() });
        }
        input.replaceWith(name);
        drawIfPending();
      };
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") done(true);
        if (e.key === "Escape") done(false);
      });
      input.addEventListener("blur", () => input.isConnected && done(true));
      name.replaceWith(input);
      input.select();
    };
    header.append(
      h("button.icon", { type: "button", title: "Rename room", onclick: rename }, "✎"),
      h(
        "button.icon",
        {
          type: "button",
          title: "Delete room",
          onclick: () => confirm(`Delete ${room.name}?`) && send("DELETE", `${path}/breakouts/rooms/${room.id}`),
        },
        "✕",
      ),
    );
    return header;
  }

  function card(p, planned, roomNames) {
    const el = h(
      "div.card",
      { dataset: { participant: p.id }, title: p.identity },
      h("span.who", {}, p.name || p.identity),
      h("span.identity", {}, p.identity),
      h(
        "span.tags",
        {},
        p.role !== "participant" && h("span.tag", {}, p.role.replace("_", "-")),
        p.muted && h("span.tag", {}, "muted"),
        p.assigned && p.assigned !== p.room && !planned && h("span.tag", {}, `→ ${roomNames.get(p.assigned) || p.assigned}`),
      ),
    );
    el.classList.toggle("planned", planned);
    el.classList.toggle("selected", selected.includes(p.id));
    draggable(el, p, planned);
    return el;
  }

  function drawToolbar() {
    const b = meeting.breakouts;
    const state = b?.state;
    const exchange = h("button", { type: "button", id: "exchange", disabled: selected.length !== 2, onclick: exchangeSelected }, `Exchange (${selected.length}/2)`);
    toolbar.replaceChildren(
      h("button", { type: "button", id: "open-rooms", disabled: !b || state === "open" || state === "closing", onclick: () => send("POST", `${path}/breakouts/open`) }, "Open rooms"),
      h("button", { type: "button", id: "close-rooms", disabled: state !== "open", onclick: () => send("POST", `${path}/breakouts/close`) }, "Close rooms"),
      h("button", { type: "button", id: "add-room", onclick: () => send("POST", `${path}/breakouts/rooms`, {}) }, "Add room"),
      h("button", { type: "button", disabled: !b, onclick: () => confirm("Delete every breakout room?") && send("DELETE", `${path}/breakouts`) }, "Delete rooms"),
      exchange,
    );
  }

  /** Redraws the status line; the countdown moves on between server reports. */
  function tick() {
    if (!meeting) return;
    const b = meeting.breakouts;
    const parts = [h("span", {}, `${meeting.participants.length} participants`)];
    if (b) parts.push(h(`span.badge.${b.state}`, { id: "breakout-state" }, b.state));
    else parts.push(h("span.badge", {}, "no breakout rooms"));
    if (countdown) {
      const left = Math.max(0, countdown.seconds - Math.floor((Date.now() - countdown.at) / 1000));
      const mmss = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      const what = countdown.state === "closing" ? "Back to the main session in" : "Rooms close in";
      parts.push(h("span.countdown", { id: "countdown" }, `${what} ${mmss}`));
    }
    status.replaceChildren(...parts);
  }
  const ticker = setInterval(tick, 250);

  // ---- commands ----

  async function exchangeSelected() {
    const [a, b] = selected;
    selected = [];
    await send("POST", `${path}/participants/exchange`, { a, b });
    load();
  }

  function toggleSelected(pid) {
    selected = selected.includes(pid) ? selected.filter((x) => x !== pid) : [...selected, pid].slice(-2);
    draw();
  }

  /** Dropping a card: a move while rooms are open, otherwise a (manual) assignment. */
  function drop(p, room) {
    const b = meeting.breakouts;
    if (b && (b.state === "open" || b.state === "closing")) {
      if (room !== p.room) send("POST", `${path}/participants/${p.id}/move`, { room });
    } else if (b) {
      const target = room === "main" ? null : room;
      if (target !== (p.assigned ?? null)) send("PUT", `${path}/participants/${p.id}/assignment`, { room: target });
    } else {
      toast("Create breakout rooms first", "error");
    }
  }

  function draggable(el, p, planned) {
    const from = planned ? p.assigned : p.room;
    el.addEventListener("pointerdown", (down) => {
      if (down.button !== 0) return;
      down.preventDefault();
      let ghost = null;
      const roomAt = (e) => document.elementFromPoint(e.clientX, e.clientY)?.closest(".room");
      const move = (e) => {
        if (!ghost && Math.hypot(e.clientX - down.clientX, e.clientY - down.clientY) < 5) return;
        if (!ghost) {
          dragging = true;
          ghost = el.cloneNode(true);
          ghost.classList.add("ghost");
          ghost.style.width = `${el.offsetWidth}px`;
          document.body.append(ghost);
          el.classList.add("dragging");
        }
        ghost.style.left = `${e.clientX - 12}px`;
        ghost.style.top = `${e.clientY - 12}px`;
        const over = roomAt(e);
        board.querySelectorAll(".room").forEach((r) => r.classList.toggle("over", r === over && r.dataset.room !== from));
      };
      const end = (e) => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", end);
        window.removeEventListener("pointercancel", end);
        if (!ghost) {
          if (e.type === "pointerup") toggleSelected(p.id);
          return;
        }
        ghost.remove();
        el.classList.remove("dragging");
        board.querySelectorAll(".room.over").forEach((r) => r.classList.remove("over"));
        dragging = false;
        const room = e.type === "pointerup" ? roomAt(e)?.dataset.room : undefined;
        if (room && room !== from) drop(p, room);
        drawIfPending();
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", end);
      window.addEventListener("pointercancel", end);
    });
  }

  // ---- creating rooms ----

  function roomsForm() {
    const count = h("input", { type: "number", id: "room-count", min: 1, max: 100, value: "2", required: true });
    const assign = h("select", { id: "room-assign" }, h("option", { value: "auto" }, "automatically"), h("option", { value: "manual" }, "by hand"));
    const box = (key, label) => {
      const input = h("input", { type: "checkbox", id: `opt-${key}` });
      return { key, input, el: h("label.check", {}, input, label) };
    };
    const boxes = [
      box("auto_move", "Move participants when rooms open"),
      box("allow_return", "Participants may return to the main session"),
      box("allow_self_select", "Participants may choose their room"),
      box("notify_host", "Tell me when time is up"),
    ];
    const closeAfter = h("input", { type: "number", id: "opt-close_after_s", min: 1, max: 86400, placeholder: "never" });
    const countdownS = h("input", { type: "number", id: "opt-countdown_s", min: 0, max: 3600 });
    const submit = h("button", { type: "submit", id: "create-rooms" }, "Create rooms");
    let filled = false;
    const el = h(
      "form.rooms",
      {
        onsubmit: (e) => {
          e.preventDefault();
          const options = Object.fromEntries(boxes.map((b) => [b.key, b.input.checked]));
          options.close_after_s = closeAfter.value === "" ? null : Number(closeAfter.value);
          options.countdown_s = countdownS.value === "" ? 60 : Number(countdownS.value);
          send("PUT", `${path}/breakouts`, { count: Number(count.value), assign: assign.value, options });
        },
      },
      h("h2", {}, "Breakout rooms"),
      h("label", {}, count, " rooms, assigned ", assign),
      ...boxes.map((b) => b.el),
      h("label", {}, "Close after ", closeAfter, " s"),
      h("label", {}, "Countdown ", countdownS, " s"),
      submit,
    );
    return {
      el,
      // The form starts from the meeting's options; after that it is the host's to edit.
      update(m) {
        submit.textContent = m.breakouts ? "Recreate rooms" : "Create rooms";
        if (filled) return;
        filled = true;
        const o = m.breakouts?.options || m.options;
        for (const b of boxes) b.input.checked = !!o[b.key];
        closeAfter.value = o.close_after_s ?? "";
        countdownS.value = o.countdown_s ?? 60;
        if (m.breakouts) count.value = m.breakouts.rooms.length || 1;
      },
    };
  }

  // ---- the event stream ----

  function describe(ev) {
    const who = (pid) => meeting?.participants.find((p) => p.id === pid)?.name || `#${pid}`;
    const where = (r) => (r === "main" ? "the main session" : meeting?.breakouts?.rooms.find((x) => x.id === r)?.name || `room ${r}`);
    switch (ev.type) {
      case "participant_joined": return `${ev.name || ev.identity} joined`;
      case "participant_left": return `${who(ev.participant)} left (${ev.reason})`;
      case "participant_moved": return `${who(ev.participant)} moved from ${where(ev.from)} to ${where(ev.to)}`;
      case "participants_exchanged": return `${who(ev.a)} and ${who(ev.b)} exchanged places`;
      case "participant_assigned": return `${who(ev.participant)} assigned to ${ev.room ? where(ev.room) : "no room"}`;
      case "participant_invited": return `${who(ev.participant)} invited to ${where(ev.room)}`;
      case "room_created": return `${ev.name} created`;
      case "room_renamed": return `room ${ev.room} renamed to ${ev.name}`;
      case "room_deleted": return `room ${ev.room} deleted`;
      case "rooms_opened": return "breakout rooms opened";
      case "rooms_closing": return `rooms closing: ${ev.countdown_s} s countdown`;
      case "rooms_closed": return "rooms closed; everyone is in the main session";
      case "help_requested": return `${who(ev.participant)} asks for help in ${where(ev.room)}`;
      case "broadcast": return `broadcast: “${ev.message}”`;
      case "time_up": return "time is up";
      default: return ev.type.replaceAll("_", " ");
    }
  }

  function onEvent(ev) {
    if (ev.seq <= lastSeq) return; // already seen (a resume overlaps nothing, but be safe)
    lastSeq = ev.seq;
    const text = describe(ev);
    log.prepend(h("li", {}, h("span.seq", {}, `#${ev.seq}`), text));
    while (log.children.length > 50) log.lastChild.remove();
    if (["help_requested", "time_up", "broadcast"].includes(ev.type)) toast(text, ev.type === "broadcast" ? "info" : "warn");
    if (ev.type === "meeting_ended") {
      toast("The meeting ended", "warn");
      location.hash = "#/meetings";
      return;
    }
    reloadSoon();
  }

  let stream = null;
  (async () => {
    await load();
    if (!meeting) return;
    lastSeq = meeting.last_seq;
    stream = follow(() => `${path}/events?since=${lastSeq}`, {
      onMessage: onEvent,
      onOpen: () => {
        status.classList.remove("offline");
        // A resume after a drop: the missed events replay, and the state is reloaded too.
        if (failedConnects) load();
        failedConnects = 0;
      },
      onDrop: async () => {
        status.classList.add("offline");
        // A stream that keeps failing may be asking for a resume point it no longer keeps
        // (410): start again from the current state.
        if (++failedConnects >= 3) {
          await load();
          if (meeting) lastSeq = meeting.last_seq;
        }
      },
    });
  })();

  return () => {
    clearInterval(ticker);
    clearTimeout(reloadTimer);
    stream?.close();
  };
}
