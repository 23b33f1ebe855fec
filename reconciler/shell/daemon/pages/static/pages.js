// The live pages' one script (served from /static; the Content-Security-Policy allows no other).
// It follows /events, one EventSource per tab, and when a pass publishes it fetches this same
// URL again and swaps the #live region, keeping the focus where it was. It reconnects after a
// daemon restart (the browser retries a stream that ends; this retries one that was refused)
// and keeps the data's age current. Without it, every page is a plain page: reload for news.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var linkState = document.getElementById("link-state");
  var bar = document.getElementById("freshness");
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var offset = 0; // the server's clock minus this one, in milliseconds
  var delay = 1000;
  var fetching = false;
  var again = false;

  function show(state, text) {
    linkState.dataset.state = state;
    linkState.textContent = text;
  }

  function humane(seconds) {
    if (seconds < 120) { return seconds + " s"; }
    if (seconds < 7200) { return Math.floor(seconds / 60) + " min"; }
    if (seconds < 172800) { return Math.floor(seconds / 3600) + " h"; }
    return Math.floor(seconds / 86400) + " d";
  }

  function tick() {
    var generated = document.getElementById("generated");
    var age = document.getElementById("age");
    if (!generated || !age) { return; }
    var made = Date.parse(generated.getAttribute("datetime"));
    var seconds = Math.max(0, Math.round((Date.now() + offset - made) / 1000));
    age.textContent = humane(seconds);
    var limit = Number(bar.dataset.staleAfter || "0");
    if (limit > 0 && seconds > limit) {
      bar.setAttribute("data-stale", "");
    } else {
      bar.removeAttribute("data-stale");
    }
  }

  function focusKey() {
    var element = document.activeElement;
    if (!element || !live.contains(element)) { return null; }
    if (element.id) { return "#" + CSS.escape(element.id); }
    if (element.tagName === "A" && element.getAttribute("href")) {
      return 'a[href="' + CSS.escape(element.getAttribute("href")) + '"]';
    }
    return null;
  }

  function adopt(target, source) {
    var nodes = Array.prototype.slice.call(source.childNodes).map(function (node) {
      return document.adoptNode(node);
    });
    target.replaceChildren.apply(target, nodes);
  }

  function swap(next) {
    var fresh = next.getElementById("live");
    var age = next.getElementById("data-age");
    if (age) { adopt(document.getElementById("data-age"), age); }
    if (next.title) { document.title = next.title; }
    if (!fresh) { return; }
    if (fresh.innerHTML !== live.innerHTML) {
      var key = focusKey();
      adopt(live, fresh);
      if (key) {
        var target = live.querySelector(key);
        if (target) { target.focus(); }
      }
    }
    live.dataset.snapshot = fresh.dataset.snapshot || "";
    tick();
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0) { throw new Error("not a page"); }
        return response.text();
      })
      .then(function (html) { swap(new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { show("reconnecting", "reconnecting…"); })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    var source = new EventSource("/events");
    source.addEventListener("open", function () {
      delay = 1000;
      show("live", "live");
    });
    source.addEventListener("snapshot", function (event) {
      var data = JSON.parse(event.data);
      offset = Date.parse(data.now) - Date.now();
      show("live", "live");
      if (data.id !== live.dataset.snapshot) { refresh(); } else { tick(); }
    });
    source.addEventListener("error", function () {
      show("reconnecting", "reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    });
  }

  show("connecting", "connecting…");
  connect();
  window.setInterval(tick, 1000);
}());
