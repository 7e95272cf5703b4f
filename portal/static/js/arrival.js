// The arrival form fills the transport fee from the weight as it is typed (weight × rate per
// kg, rounded half up like the server), until staff type a fee themselves. A blank fee is
// computed again by the server, so this script is only a convenience.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-arrival]");
  Array.prototype.forEach.call(forms, function (form) {
    var weight = form.querySelector("[data-arrival-weight]");
    var fee = form.querySelector("[data-arrival-transport]");
    var rate = parseInt(form.getAttribute("data-rate"), 10);
    var exponent = parseInt(form.getAttribute("data-exponent"), 10);
    if (!weight || !fee || !(rate > 0)) { return; }
    var typed = fee.value !== "";

    function grams(text) {
      var cleaned = text.replace(/\s/g, "").replace(",", ".");
      if (!/^[0-9]{1,5}(\.[0-9]{1,3})?$/.test(cleaned)) { return null; }
      var parts = cleaned.split(".");
      var decimals = (parts[1] || "") + "000";
      return parseInt(parts[0], 10) * 1000 + parseInt(decimals.slice(0, 3), 10);
    }

    function amount(minor) {
      if (!exponent) { return String(minor); }
      var scale = Math.pow(10, exponent);
      var whole = Math.floor(minor / scale);
      var rest = String(minor % scale);
      while (rest.length < exponent) { rest = "0" + rest; }
      return whole + "," + rest;
    }

    fee.addEventListener("input", function () { typed = fee.value !== ""; });
    weight.addEventListener("input", function () {
      if (typed) { return; }
      var g = grams(weight.value);
      fee.value = g === null ? "" : amount(Math.floor((g * rate + 500) / 1000));
    });
  });
}());
