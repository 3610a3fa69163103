// The incident form's student finder: type a name or id, tap a match to add the student.
// Without JavaScript the "Find" button does the same through the server.
(function () {
  "use strict";
  var form = document.getElementById("incident-form");
  if (!form) return;
  var input = document.getElementById("student_q");
  var results = document.getElementById("student-results");
  var selected = document.getElementById("selected-students");
  var template = document.getElementById("student-row-template");
  // The words of the rows this script writes, in the page's language (data-* of the template).
  var words = template.dataset;
  function grade(student) {
    return words.grade.replace("{grade}", student.grade);
  }
  var timer = null;
  var lastQuery = "";

  function schoolId() {
    var field = form.querySelector("[name=school_id]");
    return field ? field.value : "";
  }

  function alreadySelected(id) {
    return !!selected.querySelector('input[name=student_ids][value="' + id + '"]');
  }

  function addStudent(student) {
    if (alreadySelected(student.id)) return;
    var row = template.content.firstElementChild.cloneNode(true);
    row.dataset.studentId = student.id;
    row.querySelector("input[name=student_ids]").value = student.id;
    row.querySelector("[data-name]").textContent = student.name;
    row.querySelector("[data-meta]").textContent = student.local_id + (student.grade ? " · " + grade(student) : "");
    var role = row.querySelector("[data-role]");
    role.name = "role_" + student.id;
    role.id = "role_" + student.id;
    var roleLabel = row.querySelector("[data-role-label]");
    roleLabel.htmlFor = role.id;
    roleLabel.textContent = words.roleOf.replace("{name}", student.name);
    var clinician = row.querySelector("[data-clinician]");
    clinician.name = "clinician_" + student.id;
    selected.appendChild(row);
    input.value = "";
    lastQuery = "";  // the same name again (a sibling, a twin) is searched again
    results.innerHTML = "";
    input.focus();
  }

  function render(students) {
    results.innerHTML = "";
    if (!students.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = words.noMatch;
      results.appendChild(none);
      return;
    }
    var fresh = students.filter(function (student) { return !alreadySelected(student.id); });
    if (!fresh.length) {
      var added = document.createElement("li");
      added.className = "muted";
      added.textContent = words.allAdded;
      results.appendChild(added);
      return;
    }
    fresh.forEach(function (student) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "result";
      button.dataset.testid = "student-result";
      button.textContent = student.name + " — " + student.local_id + (student.grade ? ", " + grade(student) : "");
      button.addEventListener("click", function () { addStudent(student); });
      item.appendChild(button);
      results.appendChild(item);
    });
  }

  function search() {
    var q = input.value.trim();
    if (q.length < 2 || q === lastQuery) return;
    lastQuery = q;
    var url = form.dataset.searchUrl + "?q=" + encodeURIComponent(q) + "&school_id=" + encodeURIComponent(schoolId());
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (students) { if (input.value.trim() === q) render(students); })
      .catch(function () { /* the Find button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // search, never submit the incident from the search box
      event.preventDefault();
      lastQuery = "";
      search();
    }
  });
  // A double tap on the submit button sends the form once (the server also stores it once).
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "save") {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
    }
  });
  // A form sent back with errors: the summary takes the focus, so it is read out first.
  var summary = form.querySelector("[data-testid=form-errors]");
  if (summary) summary.focus();
  // Letters typed before this script ran (a slow phone, a fast typist) are searched now.
  if (input.value.trim()) search();
  form.dataset.ready = "1";
})();
