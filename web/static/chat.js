/* Web chat progressive enhancement: post the forms with fetch, append the new messages without a reload,
   announce them through the aria-live log, and move focus sensibly. Without JavaScript the forms still work. */
(function () {
  "use strict";
  var log = document.getElementById("log");
  var compose = document.getElementById("compose");
  var status = document.getElementById("status");
  if (!log || !compose || !window.fetch || !window.FormData) { return; }
  var busy = false;

  function setNonce(value) {
    document.querySelectorAll('input[name="nonce"]').forEach(function (input) { input.value = value; });
  }

  function csrf() { return compose.querySelector('input[name="csrf_token"]').value; }

  function buttonsForm(rows) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = compose.action;
    form.className = "choices";
    [["csrf_token", csrf()], ["nonce", compose.querySelector('input[name="nonce"]').value]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = pair[0]; input.value = pair[1];
      form.appendChild(input);
    });
    rows.forEach(function (row) {
      var div = document.createElement("div");
      div.className = "row";
      row.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "submit"; button.name = "payload"; button.value = b.payload; button.textContent = b.label;
        div.appendChild(button);
      });
      form.appendChild(div);
    });
    form.addEventListener("submit", onSubmit);
    return form;
  }

  /* A bot line that holds an address (the public page) gets it as a link, as the page without script does. */
  function linked(element, value, link) {
    var shown = (link || "").split("?")[0];
    var at = shown ? value.indexOf(shown) : -1;
    if (at < 0) { element.textContent = value; return; }
    var anchor = document.createElement("a");
    anchor.href = link; anchor.className = "public-link"; anchor.textContent = shown;
    element.appendChild(document.createTextNode(value.slice(0, at)));
    element.appendChild(anchor);
    element.appendChild(document.createTextNode(value.slice(at + shown.length)));
  }

  function append(line) {
    var item = document.createElement("li");
    item.className = "line " + line.who;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (line.who === "me" ? log.dataset.you : log.dataset.bot) + ":";
    var text = document.createElement("p");
    text.className = "text";
    linked(text, line.text, line.link);
    item.appendChild(who);
    item.appendChild(text);
    if (line.buttons && line.buttons.length) { item.appendChild(buttonsForm(line.buttons)); }
    log.appendChild(item);
    return item;
  }

  function onSubmit(event) {
    event.preventDefault();
    if (busy) { return; }
    var form = event.target;
    var data = new FormData(form, event.submitter || undefined);
    busy = true;
    document.querySelectorAll("#main button").forEach(function (b) { b.disabled = true; });
    status.textContent = "";
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (result) {
        setNonce(result.nonce);
        showEndVisit(result);
        if (!result.lines.length) { return; }
        log.querySelectorAll("form.choices").forEach(function (old) { old.remove(); });
        var last = null;
        result.lines.forEach(function (line) { last = append(line); });
        if (result.language) { document.documentElement.lang = result.language; }
        applyTexts(result.texts);
        if (form === compose) { compose.querySelector("textarea").value = ""; }
        var firstButton = last && last.querySelector("button");
        (firstButton || compose.querySelector("textarea")).focus();
        if (last) { last.scrollIntoView({ block: "nearest" }); }
      })
      .catch(function () { status.textContent = log.dataset.error; })
      .finally(function () {
        busy = false;
        document.querySelectorAll("#main button").forEach(function (b) { b.disabled = false; });
      });
  }

  /* The page's own texts in the conversation's language: a language chosen in the chat applies at once. */
  function applyTexts(texts) {
    if (!texts) { return; }
    document.title = texts.title;
    document.querySelectorAll("[data-text]").forEach(function (el) {
      if (texts[el.dataset.text]) { el.textContent = texts[el.dataset.text]; }
    });
    log.setAttribute("aria-label", texts.conversation);
    log.dataset.you = texts.you; log.dataset.bot = texts.bot; log.dataset.error = texts.error;
  }

  /* "Ferdig – neste person": shown after the thanks and on the summary; a kiosk campaign presses it by itself. */
  function showEndVisit(result) {
    var end = document.getElementById("end-visit");
    if (!end) { return; }
    if (result.end_label) {
      end.hidden = false;
      end.querySelector("button").textContent = result.end_label;
    }
    if (result.reset_after && !end.dataset.timer) {
      document.getElementById("end-reset").textContent = result.reset_note || "";
      end.dataset.timer = String(window.setTimeout(function () { end.submit(); }, result.reset_after * 1000));
    }
  }

  document.querySelectorAll("form.choices, #compose").forEach(function (form) {
    form.addEventListener("submit", onSubmit);
  });
  compose.querySelector("textarea").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { compose.requestSubmit(); }
  });
})();
