// The progress page of a report job: polls its status (JSON) and updates the bar, the step,
// the error and the download link; stops once the job is finished.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var step = document.getElementById("job-step");
  var label = document.getElementById("job-status");
  var error = document.getElementById("job-error");
  var download = document.getElementById("job-download");
  var link = document.getElementById("job-download-link");
  var retry = document.getElementById("job-retry");
  var delay = 700;

  function show(data) {
    box.setAttribute("data-status", data.status);
    bar.value = data.progress;
    percent.textContent = data.progress + " %";
    step.textContent = data.step;
    label.textContent = data.status_label;
    error.textContent = data.error;
    error.hidden = !data.error;
    if (data.download_url) link.href = data.download_url;
    download.hidden = !data.download_url;
    retry.hidden = data.status !== "failed";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.finished) window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") window.setTimeout(poll, 300);
})();
