// The payment proof form: a preview of the chosen photo and a progress bar while it is sent.
// Without this script the form is posted as usual; the server judges the file either way.
(function () {
  "use strict";
  var form = document.getElementById("proof-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector('input[type="file"]');
  var preview = document.getElementById("proof-preview");
  var image = preview.querySelector("img");
  var name = preview.querySelector("[data-preview-name]");
  var progress = form.querySelector("[data-upload-progress]");
  var bar = progress.querySelector("progress");
  var error = form.querySelector("[data-upload-error]");
  var button = form.querySelector('button[type="submit"]');
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var sending = false;

  function chosen() {
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  function tooLarge(file) {
    return file && maxBytes && file.size > maxBytes;
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  function showPreview() {
    var file = chosen();
    showError(tooLarge(file) ? form.getAttribute("data-too-large") : "");
    image.hidden = true;
    image.removeAttribute("src");
    if (!file) { preview.hidden = true; return; }
    name.textContent = file.name;
    preview.hidden = false;
    // A data: URL (the page's CSP allows data: images, not blob:); HEIC and the like that
    // the browser cannot draw only show their name.
    if (/^image\//.test(file.type) && window.FileReader && !tooLarge(file)) {
      var reader = new FileReader();
      reader.onload = function () {
        if (chosen() === file) { image.src = reader.result; }
      };
      reader.readAsDataURL(file);
    }
  }

  image.addEventListener("load", function () { image.hidden = false; });
  image.addEventListener("error", function () { image.hidden = true; });

  // The server's answer becomes the page: the order page (with its message) after success,
  // this form with its errors, or an error page (file too large…).
  function replacePage(xhr) {
    if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
      window.history.replaceState(null, "", xhr.responseURL);
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }

  function finished(text) {
    sending = false;
    button.disabled = false;
    progress.hidden = true;
    showError(text);
  }

  if (input) { input.addEventListener("change", showPreview); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    if (tooLarge(chosen())) {
      showError(form.getAttribute("data-too-large"));
      return;
    }
    sending = true;
    button.disabled = true;
    showError("");
    bar.value = 0;
    bar.removeAttribute("value"); // indeterminate until the first progress event
    progress.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    xhr.upload.onprogress = function (progressEvent) {
      if (progressEvent.lengthComputable) {
        bar.value = Math.round(progressEvent.loaded / progressEvent.total * 100);
      }
    };
    xhr.onload = function () { replacePage(xhr); };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
      finished(form.getAttribute("data-failed"));
    };
    xhr.send(new FormData(form));
  });
})();
