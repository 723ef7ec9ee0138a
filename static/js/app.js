// Behaviour shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // The language switch submits on change; the button stays for keyboards and no-JS.
  var select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
  // Buttons with data-confirm ask before a destructive action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // A form sent once is not sent again by a second click while the page loads (two
  // classes, two candidates): its buttons wait, after the browser has read the clicked
  // one's name and value. Pages answered as downloads (exports) send GET, left alone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") { return; }
    if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
    form.setAttribute("data-sending", "1");
    window.setTimeout(function () {
      form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
    // Back from the browser's cache (the back button), the form can be sent again.
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-sending");
      form.querySelectorAll("button, input[type=submit]").forEach(function (button) { button.disabled = false; });
    }, { once: true });
  });
  // "Select all" checkboxes: <input type="checkbox" data-select-all="name">.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });
  // Unit pickers (recruitment.widgets.UnitSearchInput): type a unit's name, pick one of the
  // user's units that match; the chosen id goes in the hidden field. Without this script
  // the typed name is sent and the page lists the matching units.
  document.querySelectorAll("[data-unit-search]").forEach(function (box) {
    var url = box.getAttribute("data-unit-search");
    var value = box.querySelector("[data-unit-value]");
    var text = box.querySelector("[data-unit-text]");
    var results = box.querySelector(".unit-search-results");
    var timer = null;
    var asked = 0;
    function close() {
      results.hidden = true;
      results.replaceChildren();
      text.setAttribute("aria-expanded", "false");
    }
    function show(units) {
      results.replaceChildren();
      units.forEach(function (unit) {
        var option = document.createElement("button");
        option.type = "button";
        option.className = "list-group-item list-group-item-action";
        option.setAttribute("role", "option");
        option.textContent = unit.name;
        var kind = document.createElement("small");
        kind.className = "text-body-secondary ms-2";
        kind.textContent = unit.kind;
        option.appendChild(kind);
        option.addEventListener("click", function () {
          value.value = unit.id;
          text.value = unit.name;
          close();
          text.focus();
        });
        results.appendChild(option);
      });
      results.hidden = units.length === 0;
      text.setAttribute("aria-expanded", units.length ? "true" : "false");
    }
    text.addEventListener("input", function () {
      value.value = "";
      window.clearTimeout(timer);
      var typed = text.value.trim();
      if (typed.length < 2) { close(); return; }
      timer = window.setTimeout(function () {
        var mine = ++asked;
        fetch(url + "?q=" + encodeURIComponent(typed), {
          credentials: "same-origin", headers: { Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : { results: [] };
        }).then(function (data) {
          if (mine === asked) { show(data.results || []); }
        }).catch(close);
      }, 200);
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !results.hidden) {
        event.preventDefault();
        results.firstElementChild.focus();
      } else if (event.key === "Escape") {
        close();
      }
    });
    results.addEventListener("keydown", function (event) {
      var current = document.activeElement;
      if (event.key === "ArrowDown" && current.nextElementSibling) {
        event.preventDefault();
        current.nextElementSibling.focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (current.previousElementSibling || text).focus();
      } else if (event.key === "Escape") {
        close();
        text.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!box.contains(event.target)) { close(); }
    });
  });
})();
