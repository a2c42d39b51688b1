/* The upload page: choose or drop a PDF, see the estimate, confirm and start
   in one click. Everything goes through the API (estimate, confirm, start), at
   the URLs the form carries. */
(function () {
  "use strict";
  var api = window.NovelApi;
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("pdf-file");
  var zone = document.getElementById("dropzone");
  var fileName = document.getElementById("file-name");
  var estimateBox = document.getElementById("estimate");
  var statusLine = document.getElementById("estimate-status");
  var errorBox = document.getElementById("upload-error");
  var startButton = document.getElementById("start-button");
  var modelSelect = document.getElementById("model_preference");
  var economyBox = document.getElementById("economy"); // only with a Gemini key
  var maxBytes = parseInt(form.dataset.maxBytes, 10) * 1024 * 1024;

  var file = null;
  var estimate = null;
  var estimateRun = 0;
  var busy = false;
  var confirmKey = null;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function refreshButton() {
    startButton.disabled = busy || !file || !estimate;
  }

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function choose(chosen) {
    showError("");
    file = chosen || null;
    estimate = null;
    confirmKey = null;
    estimateBox.hidden = true;
    refreshButton();
    if (!file) { fileName.hidden = true; return; }
    fileName.hidden = false;
    fileName.textContent = file.name + " · " + (file.size / (1024 * 1024)).toFixed(1) + " MB";
    zone.classList.add("dropzone--chosen");
    if (file.size > maxBytes) {
      // The server would answer 413 after the whole upload; say it now.
      showError("The file is too large. It is " + (file.size / (1024 * 1024)).toFixed(0) + " MB; the limit is " + form.dataset.maxBytes + " MB.");
      file = null;
      refreshButton();
      return;
    }
    runEstimate();
  }

  async function runEstimate() {
    var run = ++estimateRun;
    estimate = null;
    refreshButton();
    setStatus("Reading your PDF…");
    var body = new FormData();
    body.append("pdf_file", file);
    body.append("model_preference", modelSelect.value);
    body.append("economy", economyBox ? economyBox.checked : false);
    try {
      var result = await api.post(form.dataset.estimateUrl, { body: body });
      if (run !== estimateRun) return;
      estimate = result;
      showEstimate(result);
      setStatus("");
      showError("");
    } catch (err) {
      if (run !== estimateRun) return;
      setStatus("");
      estimateBox.hidden = true;
      showError(err.message);
    }
    refreshButton();
  }

  function showEstimate(result) {
    document.getElementById("est-pages").textContent = result.page_count;
    document.getElementById("est-chunks").textContent = result.chunk_plan.total_chunks;
    document.getElementById("est-credits").textContent = result.estimated_credits;
    var after = document.getElementById("est-balance-after");
    after.textContent = result.balance_after;
    after.classList.toggle("negative", result.balance_after < 0);
    document.getElementById("balance").textContent = result.balance;
    var note = result.chunk_plan.total_chunks > 1
      ? "Processed in " + result.chunk_plan.total_chunks + " chunks of " + result.chunk_plan.chunk_size + " pages, " + result.chunk_plan.parallel + " at a time."
      : "Processed in one piece.";
    if (result.balance_after < 0) note += " Your balance does not cover this book.";
    document.getElementById("est-note").textContent = note;
    estimateBox.hidden = false;
  }

  // The fields marked data-setting, by name: the processing settings the API takes.
  function processingSettings() {
    var settings = {};
    form.querySelectorAll("[data-setting]").forEach(function (field) {
      settings[field.name] = field.type === "checkbox" ? field.checked
        : field.tagName === "SELECT" ? field.value : parseInt(field.value, 10);
    });
    return settings;
  }

  // The ranges are the fields' own min and max, which the page writes from the server's.
  function outOfRange(id, what) {
    var field = document.getElementById(id), value = parseInt(field.value, 10);
    var low = parseInt(field.min, 10), high = parseInt(field.max, 10);
    return value >= low && value <= high ? "" : "The " + what + " must be between " + low + " and " + high + " words.";
  }

  function checkSettings() {
    return outOfRange("sentence_length_limit", "longest sentence") || outOfRange("min_sentence_length", "shortest sentence");
  }

  async function confirmAndStart(event) {
    event.preventDefault();
    if (busy || !file || !estimate) return;
    var settings = processingSettings();
    var problem = checkSettings();
    if (problem) { showError(problem); return; }
    busy = true;
    refreshButton();
    showError("");
    // One key per attempt: a double click or a retried request reserves once.
    confirmKey = confirmKey || newKey();
    var jobId = null;
    try {
      setStatus("Reserving credits…");
      var confirmed = await api.post(form.dataset.confirmUrl, {
        json: { original_filename: file.name, page_count: estimate.page_count, model_preference: modelSelect.value, economy: economyBox ? economyBox.checked : false, processing_settings: settings },
        headers: { "Idempotency-Key": confirmKey },
      });
      jobId = confirmed.job_id;
      setStatus("Sending your book…");
      var body = new FormData();
      body.append("pdf_file", file);
      await api.post(api.forJob(form.dataset.startUrl, jobId), { body: body });
      setStatus("Started. Opening the job page…");
      window.location.assign(api.forJob(form.dataset.pageUrl, jobId));
    } catch (err) {
      setStatus("");
      showError(err.message);
      if (jobId !== null) await releaseReservation(jobId);
      confirmKey = null;
      busy = false;
      refreshButton();
    }
  }

  async function releaseReservation(jobId) {
    // The job was confirmed but could not start: give its credits back now.
    try { await api.post(api.forJob(form.dataset.cancelUrl, jobId)); } catch (e) { /* already gone or not ours */ }
  }

  input.addEventListener("change", function () { choose(input.files[0]); });
  modelSelect.addEventListener("change", function () { confirmKey = null; if (file) runEstimate(); });
  if (economyBox) economyBox.addEventListener("change", function () { confirmKey = null; if (file) runEstimate(); });
  form.addEventListener("input", function (event) { if (event.target !== input) confirmKey = null; });
  form.addEventListener("submit", confirmAndStart);

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dropzone--over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("dropzone--over"); });
  });
  zone.addEventListener("drop", function (event) {
    var dropped = event.dataTransfer && event.dataTransfer.files[0];
    if (dropped) choose(dropped);
  });
  // A file dropped next to the zone must not make the browser leave the page.
  window.addEventListener("dragover", function (event) { event.preventDefault(); });
  window.addEventListener("drop", function (event) { event.preventDefault(); });
})();
