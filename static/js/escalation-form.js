// The escalation request's live checklist: each change of the claimed criteria asks the
// server (which alone decides) what is met and what is missing. Nothing is stored.
(function () {
  "use strict";
  var form = document.getElementById("escalation-form");
  if (!form) return;
  var target = document.getElementById("checklist");
  function refresh() {
    var data = new FormData(form);
    data.delete("justification");
    fetch(form.dataset.checklistUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) target.innerHTML = html; })
      .catch(function () { /* the checklist is checked again when the request is sent */ });
  }
  form.querySelectorAll("input[name=criteria]").forEach(function (box) {
    box.addEventListener("change", refresh);
  });
  form.dataset.ready = "1";
})();
