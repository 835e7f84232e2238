// Pitstop's only script. The pages work without it; it adds two things:
//  1. a form's submit button is disabled once the form is sent (the server would not
//     create anything twice anyway: every form carries the id of what it creates);
//  2. the workshop day view reloads its job list whenever the planning of its day
//     changes anywhere, told by server-sent events.
"use strict";

document.addEventListener("submit", (e) => {
  const button = e.target.querySelector("button[type=submit]");
  if (button) {
    // After the submission has started, so the button still counts as the submitter.
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

(function liveJobList() {
  const list = document.getElementById("joblist");
  if (!list || !list.dataset.events || !window.EventSource) {
    return;
  }
  const indicator = document.getElementById("live-indicator");
  let loading = false;
  let again = false;

  let failures = 0;
  async function reload() {
    if (loading) { again = true; return; }
    loading = true;
    let ok = true;
    try {
      do {
        again = false;
        const resp = await fetch(list.dataset.fragment, { headers: { Accept: "text/html" }, cache: "no-store" });
        ok = resp.ok;
        if (resp.ok) {
          list.innerHTML = await resp.text();
          list.dataset.reloads = String(Number(list.dataset.reloads || "0") + 1);
        }
      } while (again && ok);
    } catch (err) {
      ok = false; // offline for a moment
    } finally {
      loading = false;
    }
    // A failed reload (a 503 while a service is briefly down) is tried again, backing
    // off to 10 s, so the list never stays stale until the next change.
    if (ok) {
      failures = 0;
    } else {
      failures++;
      setTimeout(reload, Math.min(10000, 500 * 2 ** failures));
    }
  }

  const source = new EventSource(list.dataset.events);
  source.addEventListener("open", () => {
    // Changes made before the stream (re)opened were not announced: reload once.
    reload();
    document.body.dataset.live = "on";
    if (indicator) { indicator.hidden = false; }
  });
  source.addEventListener("error", () => {
    document.body.dataset.live = "off";
    if (indicator) { indicator.hidden = true; }
  });
  source.addEventListener("planning", reload);
})();
