// The dashboard's only script: live job progress, the CSV drop zone, and confirmations.
"use strict";

function formatSeconds(s) {
  if (s === null || s === undefined) return "—";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? h + " h " : "") + (h || m ? m + " min " : "") + r + " s";
}

function watchJob(section) {
  const url = section.dataset.statusUrl;
  const status = document.getElementById("job-status");
  if (!["pending", "in_progress"].includes(status.textContent.trim())) return;
  const progress = document.getElementById("job-progress");
  const step = document.getElementById("job-step");
  const eta = document.getElementById("job-eta");
  const duration = document.getElementById("job-duration");
  async function poll() {
    let answer;
    try {
      const response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
      if (response.status === 401) { window.location.assign("/ui/login"); return; }
      if (!response.ok) throw new Error(response.statusText);
      answer = await response.json();
    } catch (err) {
      setTimeout(poll, 3000);
      return;
    }
    status.textContent = answer.status;
    status.className = "status " + answer.status;
    progress.value = answer.progress;
    step.textContent = answer.current_step || "—";
    eta.textContent = formatSeconds(answer.eta_seconds);
    duration.textContent = answer.duration;
    if (answer.status === "finished" || answer.status === "failed") {
      window.location.reload();  // the page shows the result's link or the reason
      return;
    }
    setTimeout(poll, 1000);
  }
  poll();
}

function dropZone(zone) {
  const input = zone.querySelector("input[type=file]");
  const name = zone.querySelector(".filename");
  const show = () => { name.textContent = input.files.length ? input.files[0].name : ""; };
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach((kind) => zone.addEventListener(kind, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((kind) => zone.addEventListener(kind, () => {
    zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
      const dataset = zone.closest("form").querySelector("input[name=dataset_name]");
      if (dataset && !dataset.value) {
        dataset.value = input.files[0].name.replace(/(\.csv)?(\.gz)?$/i, "")
          .replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 128);
      }
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (job) watchJob(job);
  const zone = document.getElementById("dropzone");
  if (zone) dropZone(zone);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
