// Doorstep sandbox web chat: a person plays a resident talking to the bot.
// All message content is rendered with textContent / DOM nodes, never innerHTML.
(function () {
  "use strict";

  const API = "/sandbox/api";
  const DEMO_LOCATION = { latitude: 51.5072, longitude: -0.1276 };
  const DEFAULT_NAME = "Demo Resident";
  // Telegram's longest text message, in UTF-16 units (what a JS string's length counts).
  // A longer text is sent as consecutive messages, as Telegram's own apps do.
  const TEXT_LIMIT = 4096;
  const CAPTION_LIMIT = 1024; // a photo's caption
  const COUNT_FROM = 3500; // the counter shows from here, near the limit
  const MOST_PARTS = 10; // a longer paste is refused with a clear word, and kept in the box

  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const form = $("form");
  const textInput = $("text");
  const nameInput = $("name");
  const replyKb = $("reply-keyboard");
  const keyboardBtn = $("keyboard-btn");
  const statusEl = $("status");

  // Each tab is one resident: a Telegram user id kept for the tab (sessionStorage), and
  // replaced by New resident. The name box is that user's Telegram first name: like a
  // renamed Telegram profile, it goes with the next message and does not change the id.
  function freshUserId() {
    const id = String(100000000 + Math.floor(Math.random() * 900000000));
    sessionStorage.setItem("sandbox_user_id", id);
    return id;
  }
  let USER_ID = sessionStorage.getItem("sandbox_user_id") || freshUserId();
  nameInput.value = sessionStorage.getItem("sandbox_name") || DEFAULT_NAME;
  nameInput.addEventListener("change", () => {
    sessionStorage.setItem("sandbox_name", nameInput.value.trim() || DEFAULT_NAME);
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
      // A photo has no height until it loads: keep the chat at its end once it has,
      // if the photo is the newest message (or the reader was at the end already).
      img.addEventListener("load", () => {
        if (isNewest(msg.message_id) || nearEnd(img.offsetHeight + 80)) scrollToEnd();
      });
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

  function nearEnd(margin) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < margin;
  }

  function isNewest(messageId) {
    for (const id of rendered.keys()) if (id > messageId) return false;
    return true;
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

  async function api(path, body, signal) {
    const res = await fetch(API + path, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    const data = await res.json();
    if (!data.ok) throw new Error(data.error || "request failed");
    return data;
  }

  // Sends one message; true when the sandbox took it (else says why, and false).
  async function sendBody(body) {
    const first = nameInput.value.trim() || DEFAULT_NAME;
    try {
      await api(`/users/${USER_ID}/send`, Object.assign({ first_name: first }, body));
      return true;
    } catch (e) {
      toast("Could not send: " + e.message);
      return false;
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

  // A text as Telegram's apps send it: consecutive messages of at most TEXT_LIMIT units,
  // each ending at a paragraph, line or word break in its second half where there is one
  // (never inside a surrogate pair); the breaks' spaces are dropped, nothing else is.
  function splitText(text) {
    const parts = [];
    let rest = text;
    while (rest.length > TEXT_LIMIT) {
      let cut = TEXT_LIMIT;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
      const head = rest.slice(0, cut);
      for (const mark of ["\n\n", "\n", " "]) {
        const found = head.lastIndexOf(mark);
        if (found > head.length / 2) {
          cut = found + mark.length;
          break;
        }
      }
      parts.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).replace(/^\n+/, "");
    }
    parts.push(rest);
    return parts.filter((part) => part.trim());
  }

  function showCount() {
    const counter = $("counter");
    const length = textInput.value.length;
    counter.classList.remove("over", "refused");
    if (length < COUNT_FROM) {
      counter.hidden = true;
      return;
    }
    const parts = length > TEXT_LIMIT ? splitText(textInput.value).length : 1;
    const count = length.toLocaleString("en-GB");
    if (parts > MOST_PARTS) {
      counter.textContent = `${count} characters: too long to send (at most ${MOST_PARTS} messages of ${TEXT_LIMIT.toLocaleString("en-GB")}).`;
      counter.classList.add("refused");
    } else if (parts > 1) {
      counter.textContent = `${count} characters: sent as ${parts} messages, as Telegram does.`;
      counter.classList.add("over");
    } else {
      counter.textContent = `${count} / ${TEXT_LIMIT.toLocaleString("en-GB")} characters`;
    }
    counter.hidden = false;
  }

  function fitHeight() {
    textInput.style.height = "auto";
    textInput.style.height = Math.min(textInput.scrollHeight + 2, 168) + "px";
  }

  textInput.addEventListener("input", () => {
    showCount();
    fitHeight();
  });

  // Enter sends, Shift+Enter starts a new line (not while an input method is composing).
  textInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  let sending = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (sending || !textInput.value.trim()) return;
    const parts = splitText(textInput.value);
    if (parts.length > MOST_PARTS) {
      showCount();
      toast(`That is too long to send in one go: at most ${MOST_PARTS} messages. Your text is kept.`);
      return;
    }
    sending = true;
    const whole = textInput.value;
    textInput.value = "";
    showCount();
    fitHeight();
    let sent = 0;
    for (const part of parts) {
      if (!(await sendBody({ text: part }))) break;
      sent += 1;
    }
    if (sent < parts.length && !textInput.value) {
      // What was not sent goes back in the box, so nothing typed is lost.
      textInput.value = sent ? parts.slice(sent).join("\n") : whole;
      showCount();
      fitHeight();
    }
    sending = false;
    textInput.focus();
  });

  // New resident: a new Telegram user in this tab, with an empty chat.
  let generation = 0;
  let waiting = null;
  $("new-resident").addEventListener("click", () => {
    generation += 1;
    if (waiting) waiting.abort();
    USER_ID = freshUserId();
    sessionStorage.removeItem("sandbox_name");
    nameInput.value = DEFAULT_NAME;
    revision = 0;
    rendered.clear();
    list.replaceChildren($("empty"));
    keyboard = { messageId: 0, markup: null, hidden: false };
    renderReplyKeyboard();
    updateEmpty();
    textInput.value = "";
    showCount();
    fitHeight();
    toast("You are now a new resident, with an empty chat.");
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
      // The text in the box becomes the caption if it fits Telegram's 1,024; if not,
      // the photo goes alone and the text stays in the box to send as a message.
      const caption = textInput.value.trim();
      const fits = caption.length <= CAPTION_LIMIT;
      const body = caption && fits ? { photo_base64: base64, caption } : { photo_base64: base64 };
      if (await sendBody(body)) {
        if (fits) textInput.value = "";
        else toast("A caption can be up to 1,024 characters, so your text is kept: press Send to send it as a message.");
        showCount();
        fitHeight();
      }
      $("photo-input").value = "";
    };
    reader.readAsDataURL(file);
  });

  async function poll() {
    for (;;) {
      const mine = generation;
      waiting = new AbortController();
      try {
        const data = await api(
          `/users/${USER_ID}/wait?since=${revision}&timeout=25`, undefined, waiting.signal);
        if (mine !== generation) continue; // a new resident began while this one waited
        const atEnd = nearEnd(80);
        data.messages.sort((a, b) => a.message_id - b.message_id).forEach(applyMessage);
        showAnswers(data.callback_answers);
        revision = Math.max(revision, data.revision);
        updateEmpty();
        if (data.messages.length && (atEnd || data.messages.some((m) => !m.from_bot))) {
          scrollToEnd();
        }
        statusEl.textContent = "online";
      } catch (e) {
        if (mine !== generation) continue;
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
