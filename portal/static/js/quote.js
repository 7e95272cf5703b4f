// The quote editor shows its totals live: the server computes them (integers, one rule for
// the page, the PDF and the database) from what is typed, and this script only displays them.
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-totals-url");
  var timer = null;
  var latest = 0;

  function show(data) {
    var lines = form.querySelectorAll("[data-line-total]");
    data.lines.forEach(function (text, index) {
      if (lines[index]) { lines[index].textContent = text; }
    });
    Object.keys(data).forEach(function (name) {
      var cell = form.querySelector('[data-total="' + name + '"]');
      if (cell) { cell.textContent = data[name]; }
    });
    var fee = form.querySelector("[data-service-fee]");
    if (fee) { fee.textContent = "(" + data.service_fee + ")"; }
  }

  function refresh() {
    var ticket = ++latest;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && ticket === latest) { show(data); } })
      .catch(function () { /* offline: the totals are computed again when issuing */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
