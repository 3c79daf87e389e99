// Doorstep sandbox web chat: a person plays a resident talking to the bot.
// All message content is rendered with textContent / DOM nodes, never innerHTML.
(function () {
  "use strict";

  const API = "/sandbox/api";
  const DEMO_LOCATION = { latitude: 51.5072, longitude: -0.1276 };

  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const form = $("form");
  const textInput = $("text");
  const nameInput = $("name");
  const replyKb = $("reply-keyboard");
  const keyboardBtn = $("keyboard-btn");
  const statusEl = $("status");

  function userId() {
    let id = sessionStorage.getItem("sandbox_user_id");
    if (!id) {
      id = String(100000000 + Math.floor(Math.random() * 900000000));
      sessionStorage.setItem("sandbox_user_id", id);
    }
    return id;
  }
  const USER_ID = userId();
  nameInput.value = sessionStorage.getItem("sandbox_name") || "Demo Resident";
  nameInput.addEventListener("change", () => {
    sessionStorage.setItem("sandbox_name", nameInput.value.trim() || "Demo Resident");
  });

  let revision = 0;
  const rendered = new Map(); // message_id -> {el, msg}
  let keyboard = { messageId: 0, markup: null, hidden: false };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    try {
      const u = new URL(url, location.href);
      return ["http:", "https:", "tg:"].includes(u.protocol) ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // Render text with Bot API entities (offsets are UTF-16, like JS strings).
  function renderText(text, entities) {
    const frag = document.createDocumentFragment();
    entities = (entities || []).filter((e) => e.length > 0);
    const cuts = new Set([0, text.length]);
    for (const e of entities) {
      cuts.add(e.offset);
      cuts.add(Math.min(text.length, e.offset + e.length));
    }
    const points = Array.from(cuts).sort((a, b) => a - b);
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i];
      const end = points[i + 1];
      const active = entities.filter((e) => e.offset <= start && e.offset + e.length >= end);
      let node = el("span", null, text.slice(start, end));
      for (const e of active) {
        if (e.type === "text_link" || e.type === "url") {
          const href = safeUrl(e.type === "url" ? text.slice(e.offset, e.offset + e.length) : e.url);
          if (href) {
            const a = el("a");
            a.href = href;
            a.target = "_blank";
            a.rel = "noopener noreferrer";
            a.appendChild(node);
            node = a;
          }
        } else {
          node.classList.add("ent-" + e.type);
        }
      }
      frag.appendChild(node);
    }
    return frag;
  }

  function formatTime(seconds) {
    const d = new Date(seconds * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function renderBody(msg) {
    const body = el("div", "body");
    if (msg.photo && msg.download_url) {
      const img = el("img", "photo");
      img.src = msg.download_url;
      img.alt = msg.caption || "Photo";
      img.loading = "lazy";
      body.appendChild(img);
    }
    if (msg.document) {
      const a = el("a", "document");
      a.href = msg.download_url || "#";
      a.setAttribute("download", msg.document.file_name || "file");
      a.appendChild(el("span", "doc-icon", "📄"));
      const info = el("span", "doc-info");
      info.appendChild(el("span", "doc-name", msg.document.file_name || "Document"));
      info.appendChild(el("span", "doc-size", formatSize(msg.document.file_size || 0) + " · Download"));
      a.appendChild(info);
      body.appendChild(a);
    }
    if (msg.location) {
      const p = el("div", "location");
      p.appendChild(el("span", null, "📍 Location: "));
      p.appendChild(el("span", null,
        msg.location.latitude.toFixed(5) + ", " + msg.location.longitude.toFixed(5)));
      body.appendChild(p);
    }
    if (msg.sticker) body.appendChild(el("div", "sticker", msg.sticker.emoji || "🖼️"));
    if (msg.voice) body.appendChild(el("div", "voice", "🎤 Voice message · " + msg.voice.duration + "s"));
    if (msg.poll) {
      const poll = el("div", "poll");
      poll.appendChild(el("div", "poll-q", "📊 " + msg.poll.question));
      for (const opt of msg.poll.options) poll.appendChild(el("div", "poll-opt", opt.text));
      body.appendChild(poll);
    }
    if (typeof msg.text === "string") {
      const t = el("div", "text");
      t.appendChild(renderText(msg.text, msg.entities));
      body.appendChild(t);
    } else if (typeof msg.caption === "string") {
      const t = el("div", "text caption");
      t.appendChild(renderText(msg.caption, msg.caption_entities));
      body.appendChild(t);
    }
    return body;
  }

  function renderInlineKeyboard(msg) {
    const markup = msg.reply_markup;
    if (!markup || !markup.inline_keyboard) return null;
    const box = el("div", "inline-keyboard");
    for (const row of markup.inline_keyboard) {
      const r = el("div", "kb-row");
      for (const button of row) {
        const b = el("button", "kb-button", button.text);
        b.type = "button";
        if (button.url) {
          b.classList.add("kb-url");
          b.addEventListener("click", () => {
            const href = safeUrl(button.url);
            if (href) window.open(href, "_blank", "noopener");
          });
        } else if (button.callback_data !== undefined) {
          b.addEventListener("click", () => press(msg.message_id, button.callback_data, b));
        } else {
          b.disabled = true;
        }
        r.appendChild(b);
      }
      box.appendChild(r);
    }
    return box;
  }

  function renderMessage(msg) {
    const wrap = el("div", "msg " + (msg.from_bot ? "bot" : "me"));
    wrap.dataset.messageId = String(msg.message_id);
    const bubble = el("div", "bubble");
    bubble.appendChild(renderBody(msg));
    const meta = el("div", "meta", (msg.edit_date ? "edited · " : "") + formatTime(msg.date));
    bubble.appendChild(meta);
    wrap.appendChild(bubble);
    const kb = renderInlineKeyboard(msg);
    if (kb) wrap.appendChild(kb);
    return wrap;
  }

  function place(msg, node) {
    const existing = rendered.get(msg.message_id);
    if (existing) {
      existing.el.replaceWith(node);
    } else {
      // keep ordered by message_id
      let before = null;
      for (const [id, item] of rendered) {
        if (id > msg.message_id && (!before || id < before.id)) before = { id, el: item.el };
      }
      list.insertBefore(node, before ? before.el : null);
    }
    rendered.set(msg.message_id, { el: node, msg });
  }

  function applyMessage(msg) {
    if (msg.deleted) {
      const existing = rendered.get(msg.message_id);
      if (existing) existing.el.remove();
      rendered.delete(msg.message_id);
      return;
    }
    place(msg, renderMessage(msg));
    const markup = msg.reply_markup;
    if (msg.from_bot && markup && (markup.keyboard || markup.remove_keyboard)
        && msg.message_id >= keyboard.messageId) {
      keyboard = { messageId: msg.message_id, markup: markup.keyboard ? markup : null, hidden: false };
      renderReplyKeyboard();
    }
  }

  function renderReplyKeyboard() {
    replyKb.replaceChildren();
    const markup = keyboard.markup;
    keyboardBtn.hidden = !markup || !keyboard.hidden;
    if (!markup || keyboard.hidden) {
      replyKb.hidden = true;
      return;
    }
    for (const row of markup.keyboard) {
      const r = el("div", "kb-row");
      for (const button of row) {
        const b = el("button", "kb-button reply", button.text);
        b.type = "button";
        b.addEventListener("click", async () => {
          await sendBody({ text: button.text });
          if (markup.one_time_keyboard) {
            keyboard.hidden = true;
            renderReplyKeyboard();
          }
        });
        r.appendChild(b);
      }
      replyKb.appendChild(r);
    }
    replyKb.hidden = false;
  }

  keyboardBtn.addEventListener("click", () => {
    keyboard.hidden = false;
    renderReplyKeyboard();
  });

  function updateEmpty() {
    $("empty").hidden = rendered.size > 0;
  }

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
  }

  let toastTimer = null;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
  }

  function alertBox(text) {
    $("modal-text").textContent = text;
    $("modal").hidden = false;
    $("modal-ok").focus();
  }
  $("modal-ok").addEventListener("click", () => { $("modal").hidden = true; });

  function showAnswers(answers) {
    for (const a of answers || []) {
      if (!a.text) continue;
      if (a.show_alert) alertBox(a.text);
      else toast(a.text);
    }
  }

  async function api(path, body) {
    const res = await fetch(API + path, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json();
    if (!data.ok) throw new Error(data.error || "request failed");
    return data;
  }

  async function sendBody(body) {
    const first = nameInput.value.trim() || "Demo Resident";
    try {
      await api(`/users/${USER_ID}/send`, Object.assign({ first_name: first }, body));
    } catch (e) {
      toast("Could not send: " + e.message);
    }
  }

  async function press(messageId, data, button) {
    button.classList.add("pressed");
    try {
      await api(`/users/${USER_ID}/press`, { message_id: messageId, callback_data: data });
    } catch (e) {
      toast("Button failed: " + e.message);
    } finally {
      setTimeout(() => button.classList.remove("pressed"), 400);
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = textInput.value;
    if (!text.trim()) return;
    textInput.value = "";
    await sendBody({ text });
    textInput.focus();
  });

  $("location-btn").addEventListener("click", () => sendBody({ location: DEMO_LOCATION }));

  $("photo-btn").addEventListener("click", () => $("photo-input").click());
  $("photo-input").addEventListener("change", () => {
    const file = $("photo-input").files[0];
    if (!file) return;
    if (file.size > 10 * 1024 * 1024) {
      toast("Photos must be under 10 MB");
      return;
    }
    const reader = new FileReader();
    reader.onload = async () => {
      const base64 = String(reader.result).split(",", 2)[1] || "";
      const caption = textInput.value.trim();
      textInput.value = "";
      await sendBody(caption ? { photo_base64: base64, caption } : { photo_base64: base64 });
      $("photo-input").value = "";
    };
    reader.readAsDataURL(file);
  });

  async function poll() {
    for (;;) {
      try {
        const data = await api(`/users/${USER_ID}/wait?since=${revision}&timeout=25`);
        const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
        data.messages.sort((a, b) => a.message_id - b.message_id).forEach(applyMessage);
        showAnswers(data.callback_answers);
        revision = Math.max(revision, data.revision);
        updateEmpty();
        if (data.messages.length && (atEnd || data.messages.some((m) => !m.from_bot))) {
          scrollToEnd();
        }
        statusEl.textContent = "online";
      } catch (e) {
        statusEl.textContent = "reconnecting…";
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async function loadBot() {
    try {
      const data = await api("/bot");
      $("bot-name").textContent = data.bot.first_name;
      $("bot-avatar").textContent = (data.bot.first_name || "D").charAt(0).toUpperCase();
      statusEl.textContent = "online";
    } catch (e) {
      /* the header keeps its default; the poll loop reports the connection */
    }
  }

  loadBot();
  poll();
  textInput.focus();
})();
