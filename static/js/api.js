/* novelproc: calls to the API with the session cookie and the CSRF token,
   and the one way pages turn an API error into a sentence for the learner.
   URLs come from the page (data- attributes rendered with {% url %}); one for a
   job not known yet is rendered for job 0, and forJob puts the real id in. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // What each status means for a learner; the API's own `error` text follows.
  var HEADLINES = {
    400: "Please check the settings.",
    401: "Your session has ended: log in again.",
    402: "Not enough credits.",
    404: "This job no longer exists.",
    409: "That is not possible right now.",
    413: "The file is too large.",
    415: "This file is not a PDF.",
    422: "This PDF cannot be used.",
    425: "Not finished yet.",
    429: "Too many requests.",
    503: "The queue is full.",
  };
  var CODE_HEADLINES = {
    PDF_ENCRYPTED: "This PDF is password-protected.",
    PDF_UNREADABLE: "This PDF cannot be read.",
    NOT_A_PDF: "This file is not a PDF.",
    NO_TEXT: "This PDF has no text to read.",
    TOO_MANY_PAGES: "This book has too many pages.",
    TOO_MANY_ACTIVE_JOBS: "You already have several books in progress.",
    EMPTY_FILE: "The file is empty.",
  };

  function ApiError(status, body, retryAfter) {
    this.status = status;
    this.code = (body && body.error_code) || "ERROR";
    this.detail = (body && body.error) || "";
    this.retryAfter = retryAfter;
    this.message = describe(this);
  }

  function describe(err) {
    var headline = CODE_HEADLINES[err.code] || HEADLINES[err.status] || "Something went wrong (" + err.status + ").";
    var text = headline;
    if (err.detail && err.detail !== headline) text += " " + err.detail;
    if (err.retryAfter) text += " You can try again in " + humanSeconds(err.retryAfter) + ".";
    return text;
  }

  function humanSeconds(seconds) {
    var s = parseInt(seconds, 10);
    if (isNaN(s)) return seconds + " s";
    if (s < 90) return s + " seconds";
    return Math.ceil(s / 60) + " minutes";
  }

  async function request(method, url, options) {
    options = options || {};
    var headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    var body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    var response;
    try {
      response = await fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" });
    } catch (networkError) {
      throw new ApiError(0, { error: "The server could not be reached; check your connection.", error_code: "NETWORK" });
    }
    var data = null;
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (!response.ok) throw new ApiError(response.status, data, response.headers.get("Retry-After"));
    return data;
  }

  function forJob(url, jobId) {
    return url.replace(/\/0(?=\/|$)/, "/" + jobId);
  }

  window.NovelApi = {
    get: function (url) { return request("GET", url); },
    post: function (url, options) { return request("POST", url, options); },
    forJob: forJob,
    ApiError: ApiError,
  };
})();
