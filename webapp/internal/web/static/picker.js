// Type-ahead pickers (templates/_pickers.html): as the user types into an
// <input data-pick="/pick/...">, its <datalist> is refilled with the matches the page
// asks for (GET source?q=text answering [{id, label}]). Without this script the input
// still takes an id typed by hand.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null, last = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === last) { return; }
        last = q;
        var mine = ++seq;
        fetch(input.dataset.pick + "?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then(function (res) { return res.ok ? res.json() : []; })
          .then(function (items) {
            if (mine !== seq || !Array.isArray(items)) { return; }
            while (list.firstChild) { list.removeChild(list.firstChild); }
            items.forEach(function (it) {
              var o = document.createElement("option");
              o.value = it.id;
              o.textContent = it.label;
              list.appendChild(o);
            });
          })
          .catch(function () {});
      }, 200);
    });
  }
  document.querySelectorAll("input[data-pick]").forEach(attach);
})();
