/* Live answer count on the campaign page: poll every 15 seconds; without JavaScript the page shows the count
   from when it was loaded. */
(function () {
  "use strict";
  var counter = document.getElementById("answer-count");
  if (!counter || !window.fetch) { return; }
  var last = document.getElementById("last-answer");
  function refresh() {
    if (document.hidden) { return; }
    fetch(counter.dataset.countUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (String(data.count) !== counter.textContent) { counter.textContent = String(data.count); }
        if (last && data.last) { last.textContent = new Date(data.last).toLocaleString(document.documentElement.lang); }
      })
      .catch(function () { /* keep the last known count */ });
  }
  window.setInterval(refresh, 15000);
})();
