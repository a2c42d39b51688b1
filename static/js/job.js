/* The job page: live progress over the job's WebSocket, with polling of the
   job's API every 2 s whenever the socket is not open (their URLs are the
   data- attributes of #live).
   The page works by polling alone; the socket only makes it quicker. */
(function () {
  "use strict";
  var api = window.NovelApi;
  var TERMINAL = { completed: true, failed: true, cancelled: true };
  var STATUS_LABELS = { pending: "Pending", processing: "Processing", completed: "Completed", failed: "Failed", cancelled: "Cancelled" };
  var POLL_MS = 2000;

  var job = JSON.parse(document.getElementById("job-data").textContent);
  var chunks = {};
  JSON.parse(document.getElementById("chunk-data").textContent).forEach(function (c) { chunks[c.index] = c; });
  var sentencesByChunk = {};  // chunk index → sentences, from the socket while the job runs
  var finalLoaded = TERMINAL[job.status] === true;
  var urls = document.getElementById("live").dataset;
  var pageSize = parseInt(document.getElementById("reading").dataset.pageSize, 10) || 200;
  // Every sentence once this script has them (null: only the page the server rendered).
  var reading = { sentences: null, chapters: [], page: parseInt(document.getElementById("pager-number").textContent, 10) || 1 };

  var el = function (id) { return document.getElementById(id); };
  var socket = null, pollTimer = null, reconnectTimer = null, reconnectDelay = 3000, closing = false;

  // --- Rendering ----------------------------------------------------------------

  function applyJob(update) {
    if (!update) return;
    Object.keys(update).forEach(function (key) { job[key] = update[key]; });
    var percent = job.progress_percent || 0;
    el("progress").value = percent;
    el("progress").textContent = percent + "%";
    el("progress-text").textContent = percent + "%";
    el("current-step").textContent = job.current_step || STATUS_LABELS[job.status];
    el("chunk-count").textContent = (job.processed_chunks || 0) + " of " + (job.total_chunks || 0) + " chunks done" +
      (job.failed_chunks && job.failed_chunks.length ? " (" + job.failed_chunks.length + " failed)" : "");
    var badge = el("job-status");
    badge.className = "badge badge--" + job.status;
    badge.textContent = STATUS_LABELS[job.status] || job.status;
    el("cancel-button").hidden = TERMINAL[job.status] === true;
    el("retry-button").hidden = !retryable();
    if (!TERMINAL[job.status]) el("done-panel").hidden = true;
    el("job-error").textContent = job.error_message || "";
    el("job-error").hidden = !job.error_message;
    renderQuality();
    if (TERMINAL[job.status]) showDone();
  }

  // Shown once a chunk has been recorded; the same line as the quality_line template tag (jobs/templatetags/quality.py).
  function renderQuality() {
    var recorded = (job.processed_chunks || 0) - (job.failed_chunks || []).length;
    if (!job.quality || recorded <= 0) { el("quality").hidden = true; return; }
    el("quality-figures").textContent = qualityLine(job.quality);
    el("quality").hidden = false;
  }

  function qualityLine(q) {
    var count = function (n) { return n.toLocaleString("en-US"); };
    var percent = function (share) { return (Math.floor(share * 1000 + 0.5) / 10).toFixed(1) + " %"; };
    var parts = [];
    if (q.complete_share !== null) {
      parts.push(percent(q.complete_share) + " of " + count(q.lines_judged) + " lines read as sentences"
        + (q.source_complete_share !== null ? " (the book's own: " + percent(q.source_complete_share) + ")" : ""));
    }
    if (q.content_coverage !== null) parts.push(percent(q.content_coverage) + " of the content kept");
    if (q.invented_share !== null) parts.push(percent(q.invented_share) + " invented");
    parts.push(count(q.sentences_over_limit) + " of " + count(q.sentences) + " sentences over the limit");
    if (q.words_per_second !== null) parts.push(count(Math.floor(q.words_per_second + 0.5)) + " words/s");
    return parts.join(" · ");
  }

  function applyChunks(list) {
    if (!list) return;
    var grid = el("chunk-grid");
    list.forEach(function (c) {
      chunks[c.index] = Object.assign(chunks[c.index] || {}, c);
      var cell = grid.querySelector('[data-index="' + c.index + '"]');
      if (!cell) {
        cell = document.createElement("li");
        cell.dataset.index = c.index;
        cell.appendChild(document.createElement("span")).className = "visually-hidden";
        insertInOrder(grid, cell, c.index);
      }
      var chunk = chunks[c.index];
      var label = "Chunk " + (chunk.index + 1) + ", pages " + chunk.first_page + "–" + chunk.last_page + ": " + chunk.status;
      cell.className = "chunk chunk--" + chunk.status;
      cell.title = label;
      cell.firstChild.textContent = label;
    });
  }

  function insertInOrder(grid, cell, index) {
    var after = Array.prototype.find.call(grid.children, function (other) { return parseInt(other.dataset.index, 10) > index; });
    grid.insertBefore(cell, after || null);
  }

  function applySentences(map) {
    if (!map || finalLoaded) return;
    var added = false;
    Object.keys(map).forEach(function (index) { sentencesByChunk[index] = map[index]; added = true; });
    if (!added) return;
    var ordered = [];
    Object.keys(sentencesByChunk).map(Number).sort(function (a, b) { return a - b; })
      .forEach(function (index) { ordered = ordered.concat(sentencesByChunk[index]); });
    renderSentences(ordered);
  }

  // --- Reading: one page of sentences at a time, and the chapter list -------------------
  // The server renders the page asked for (?page=N); links to other pages and
  // chapters load them. Once this script holds every sentence (live, or the
  // final result), it turns pages itself, in the same document.

  function renderSentences(list, chapters) {
    reading.sentences = list;
    if (chapters) reading.chapters = chapters;
    reading.page = Math.min(reading.page, pageCount());
    el("sentence-count").textContent = list.length;
    el("sentence-total").textContent = list.length;
    el("sentences-empty").hidden = list.length > 0;
    renderPage();
    renderChapters();
  }

  function pageCount() {
    return Math.max(1, Math.ceil(reading.sentences.length / pageSize));
  }

  function pageOf(position) {
    return Math.floor((position - 1) / pageSize) + 1;
  }

  function renderPage() {
    var first = (reading.page - 1) * pageSize + 1;
    var items = reading.sentences.slice(first - 1, first - 1 + pageSize);
    var target = el("sentences");
    var fragment = document.createDocumentFragment();
    items.forEach(function (text, offset) {
      var item = document.createElement("li");
      item.id = "s-" + (first + offset);
      item.textContent = text;
      fragment.appendChild(item);
    });
    target.replaceChildren(fragment);
    target.start = first;
    var count = pageCount();
    el("sentence-pager").hidden = count < 2;
    el("pager-number").textContent = reading.page;
    el("pager-count").textContent = count;
    el("pager-range").textContent = first + "–" + (first + items.length - 1);
    pagerLink("pager-first", 1, reading.page > 1);
    pagerLink("pager-previous", reading.page - 1, reading.page > 1);
    pagerLink("pager-next", reading.page + 1, reading.page < count);
    pagerLink("pager-last", count, reading.page < count);
  }

  function pagerLink(id, page, shown) {
    var link = el(id);
    link.hidden = !shown;
    link.dataset.page = page;
    link.href = "?page=" + page;
  }

  function renderChapters() {
    var list = el("chapter-list");
    var fragment = document.createDocumentFragment();
    reading.chapters.forEach(function (chapter) {
      var item = document.createElement("li");
      var link = item.appendChild(document.createElement("a"));
      link.href = "?page=" + pageOf(chapter.first) + "#s-" + chapter.first;
      link.dataset.first = chapter.first;
      link.textContent = chapter.title || "Opening";
      var range = item.appendChild(document.createElement("span"));
      range.className = "muted";
      range.textContent = chapter.first + "–" + chapter.last;
      item.insertBefore(document.createTextNode(" "), range);
      fragment.appendChild(item);
    });
    list.replaceChildren(fragment);
    el("chapters").hidden = reading.chapters.length === 0;
  }

  function goTo(page, position) {
    reading.page = Math.min(Math.max(1, page), pageCount());
    renderPage();
    var marked = el("sentences").querySelector(".is-target");
    if (marked) marked.classList.remove("is-target");
    var item = position ? el("s-" + position) : el("sentences").firstElementChild;
    if (item) {
      if (position) item.classList.add("is-target");
      item.scrollIntoView({ block: "start" });
    }
    // A reload, or a copied address, opens the same place (the server renders it).
    history.replaceState(null, "", "?page=" + reading.page + (position ? "#s-" + position : ""));
  }

  function followReadingLink(event) {
    var link = event.target.closest("a");
    if (!link || reading.sentences === null) return;  // the server renders other pages
    event.preventDefault();
    if (link.dataset.first) {
      var first = parseInt(link.dataset.first, 10);
      goTo(pageOf(first), first);
    } else {
      goTo(parseInt(link.dataset.page, 10), null);
    }
  }

  el("chapter-list").addEventListener("click", followReadingLink);
  el("sentence-pager").addEventListener("click", followReadingLink);

  function showDone() {
    el("done-panel").hidden = false;
    el("credits-reserved").textContent = job.estimated_credits;
    var charged = job.actual_credits;
    el("credits-charged").textContent = charged === null || charged === undefined ? "–" : charged;
    el("credits-released").textContent = charged === null || charged === undefined ? "–" : job.estimated_credits - charged;
    if (!finalLoaded) loadFinalSentences();
  }

  async function loadFinalSentences() {
    finalLoaded = true;  // once: the merged result is the truth
    try {
      var result = await api.get(urls.resultUrl);
      renderSentences(result.sentences, result.chapters);
    } catch (err) {
      finalLoaded = false;
      if (err.status !== 425) showActionError(err.message);
    }
  }

  function showActionError(message) {
    el("action-error").textContent = message;
    el("action-error").hidden = !message;
  }

  function setMode(mode, text) {
    var indicator = el("live-indicator");
    indicator.dataset.mode = mode;
    indicator.textContent = text;
  }

  // --- The socket, and polling when it is not open -----------------------------------

  function handleMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type !== "snapshot" && message.type !== "progress") return;
    if (message.type === "snapshot") sentencesByChunk = {};
    applyChunks(message.chunks);
    applySentences(message.sentences);
    applyJob(message.job);
    if (TERMINAL[job.status]) finish();
  }

  function connect() {
    reconnectTimer = null;
    if (TERMINAL[job.status] || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + urls.socketPath);
    } catch (e) {
      socketLost(null);
      return;
    }
    socket.addEventListener("open", function () {
      reconnectDelay = 3000;
      stopPolling();
      setMode("live", "Live");
    });
    socket.addEventListener("message", handleMessage);
    socket.addEventListener("close", function (event) { socketLost(event.code); });
  }

  function socketLost(code) {
    socket = null;
    if (closing || TERMINAL[job.status]) return;
    startPolling();
    // 4401/4404: the server refuses this socket; polling still works, retry rarely.
    var delay = code === 4401 || code === 4404 ? 60000 : reconnectDelay;
    reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    if (!reconnectTimer) reconnectTimer = setTimeout(connect, delay);
  }

  function startPolling() {
    setMode("polling", "Updating every 2 s");
    if (!pollTimer) poll();
  }

  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function poll() {
    pollTimer = null;
    try {
      var fresh = await api.get(urls.jobUrl);
      var chunkList = await api.get(urls.chunksUrl);
      applyChunks(chunkList.chunks);
      applyJob(fresh);
      showActionError("");
    } catch (err) {
      if (err.status === 401 || err.status === 404) { showActionError(err.message); return; }
    }
    if (TERMINAL[job.status]) { finish(); return; }
    if (!socket || socket.readyState !== WebSocket.OPEN) pollTimer = setTimeout(poll, POLL_MS);
  }

  function finish() {
    closing = true;
    stopPolling();
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (socket) socket.close();
    setMode("done", "Finished");
    settleChunks(5);
  }

  // After a cancel, a chunk still running closes when its worker notices; show that too.
  function settleChunks(triesLeft) {
    var running = Object.keys(chunks).some(function (i) { return chunks[i].status === "running"; });
    if (!running || triesLeft <= 0) return;
    setTimeout(async function () {
      try { applyChunks((await api.get(urls.chunksUrl)).chunks); } catch (e) { return; }
      settleChunks(triesLeft - 1);
    }, POLL_MS);
  }

  // --- Cancel -------------------------------------------------------------------------

  el("cancel-button").addEventListener("click", async function () {
    if (!window.confirm("Cancel this job? Chunks already finished are charged; every other credit comes back to you.")) return;
    var button = this;
    button.disabled = true;
    try {
      await api.post(urls.cancelUrl);
      showActionError("");
      await poll();
    } catch (err) {
      showActionError(err.message);
    }
    button.disabled = false;
  });

  // --- Retry failed chunks ---------------------------------------------------------------
  // A finished job (not a cancelled one) with failed chunks may run them again;
  // the job reopens, and the page follows it live as it did the first time.

  function retryable() {
    return (job.status === "completed" || job.status === "failed") && (job.failed_chunks || []).length > 0;
  }

  el("retry-button").addEventListener("click", async function () {
    var button = this;
    button.disabled = true;
    try {
      var reopened = await api.post(urls.retryUrl);
      // Forget the old result first: the retried chunks may be done already when the answer comes.
      finalLoaded = false;
      sentencesByChunk = {};
      applyJob(reopened);
      showActionError("");
      closing = false;
      startPolling();
      connect();
    } catch (err) {
      showActionError(err.message);
    }
    button.disabled = false;
  });

  // --- Start ----------------------------------------------------------------------------

  window.addEventListener("pagehide", function () { closing = true; if (socket) socket.close(); });
  if (TERMINAL[job.status]) {
    setMode("done", "Finished");
  } else {
    startPolling();  // until the socket opens: the page never waits on it
    connect();
  }
})();
