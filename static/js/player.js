/* Live and replay video. The page already works without this file: <video src="….m3u8">
   plays where the browser has HLS built in, and replay links carry ?t= and #t=.

   Here: native HLS where the browser has it, else hls.js (static/vendor, loaded only then),
   chosen by feature detection, never by user agent. The stage shows what is going on
   (data-player-state: playing, reconnecting, ended, unsupported); a live room follows the
   room's polled state (#live-state data-state / data-src): it starts playing when the room
   goes live and shows 直播已结束 when it ends. On a replay, 讲解 links seek the player. */
(function () {
  "use strict";

  var HLS_TYPES = ["application/vnd.apple.mpegurl", "application/x-mpegURL"];
  var STALL_MS = 4000;
  var hlsScript = null;

  function nativeHls(video) {
    if (!video.canPlayType) { return false; }
    return HLS_TYPES.some(function (type) { return video.canPlayType(type) !== ""; });
  }

  function loadHlsJs(url) {
    if (window.Hls) { return Promise.resolve(window.Hls); }
    if (!hlsScript) {
      hlsScript = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = function () { resolve(window.Hls); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return hlsScript;
  }

  function isPlaylist(src) {
    return /\.m3u8(?:[?#]|$)/i.test(src || "");
  }

  function Player(stage) {
    this.stage = stage;
    this.live = stage.getAttribute("data-player") === "live";
    this.video = stage.querySelector("video");
    this.src = null;
    this.hls = null;
    this.retries = 0;
    this.retryTimer = null;
    this.stallTimer = null;
    this.pendingSeek = parseFloat(stage.getAttribute("data-start") || "0") || 0;
    this.ended = false;
    if (this.video) {
      this.watch(this.video);
      this.attach(this.video.getAttribute("src") || "");
    }
  }

  Player.prototype.setState = function (state) {
    var stage = this.stage;
    stage.setAttribute("data-player-state", state);
    var reconnecting = stage.querySelector("[data-overlay=reconnecting]");
    if (reconnecting) {
      reconnecting.hidden = state !== "reconnecting" && state !== "unsupported";
      var text = reconnecting.querySelector("[data-text]");
      if (text) {
        text.textContent = stage.getAttribute(state === "unsupported" ? "data-msg-unsupported"
                                                                        : "data-msg-reconnecting");
      }
    }
    var ended = stage.querySelector("[data-overlay=ended]");
    if (ended) { ended.hidden = state !== "ended"; }
  };

  Player.prototype.watch = function (video) {
    var self = this;
    video.addEventListener("playing", function () {
      self.retries = 0;
      clearTimeout(self.stallTimer);
      if (!self.ended) { self.setState("playing"); }
    });
    ["waiting", "stalled"].forEach(function (name) {
      video.addEventListener(name, function () {
        clearTimeout(self.stallTimer);
        self.stallTimer = setTimeout(function () {
          if (!self.ended && (video.paused || video.readyState < 3)) { self.setState("reconnecting"); }
        }, STALL_MS);
      });
    });
    video.addEventListener("error", function () {
      if (!self.hls && self.src) { self.reconnect(); }
    });
    video.addEventListener("loadedmetadata", function () { self.applySeek(); });
  };

  Player.prototype.attach = function (src) {
    var self = this;
    var video = this.video;
    src = (src || "").split("#")[0];
    if (!src) { return; }
    this.src = src;
    if (!isPlaylist(src) || nativeHls(video)) {
      this.stage.setAttribute("data-engine", "native");
      if ((video.getAttribute("src") || "").split("#")[0] !== src) { video.src = src; }
      this.play();
      return;
    }
    // No HLS in this browser: hls.js feeds the same <video> through MediaSource.
    video.removeAttribute("src");
    video.load();
    loadHlsJs(this.stage.getAttribute("data-hls-lib")).then(function (Hls) {
      if (!Hls || !Hls.isSupported()) {
        self.setState("unsupported");
        return;
      }
      self.stage.setAttribute("data-engine", "hls.js");
      self.startHls(Hls);
    }, function () { self.setState("unsupported"); });
  };

  Player.prototype.startHls = function (Hls) {
    var self = this;
    if (this.hls) { this.hls.destroy(); }
    // No worker: it would need a blob: worker-src in the CSP, and 1 s fragments are light.
    var hls = new Hls({
      enableWorker: false,
      liveSyncDurationCount: 2,
      manifestLoadingMaxRetry: 2,
      startPosition: this.pendingSeek > 0 ? this.pendingSeek : -1
    });
    hls.on(Hls.Events.ERROR, function (event, data) {
      if (!data.fatal) { return; }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        self.reconnect();
      }
    });
    hls.loadSource(this.src);
    hls.attachMedia(this.video);
    this.hls = hls;
    if (this.pendingSeek > 0) { this.pendingSeek = 0; }
    this.play();
  };

  Player.prototype.play = function () {
    var attempt = this.video.play();
    if (attempt && attempt.catch) { attempt.catch(function () { /* the controls start it */ }); }
  };

  Player.prototype.reconnect = function () {
    var self = this;
    if (this.ended || this.retryTimer) { return; }
    this.setState("reconnecting");
    var delay = Math.min(1000 * Math.pow(2, this.retries), 8000);
    this.retries += 1;
    this.retryTimer = setTimeout(function () {
      self.retryTimer = null;
      if (self.ended) { return; }
      if (self.hls && window.Hls) {
        self.startHls(window.Hls);
      } else {
        self.video.src = self.src;
        self.video.load();
        self.play();
      }
    }, delay);
  };

  Player.prototype.stop = function () {
    this.ended = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    this.retryTimer = null;
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    if (this.video) {
      this.video.pause();
      this.video.removeAttribute("src");
      this.video.load();
      this.video.hidden = true;
    }
    var poster = this.stage.querySelector(".live-poster[data-poster]");
    if (poster) { poster.hidden = true; }
    this.setState("ended");
  };

  /* The room's polled state: start when it goes live, stop when it ends. */
  Player.prototype.follow = function (state, src) {
    if (state === "ended") {
      if (!this.ended && (this.video || this.stage.getAttribute("data-state") === "live")) {
        this.stop();
      }
      return;
    }
    if (state !== "live" || !src) { return; }
    if (this.ended) {
      this.ended = false;
      this.setState("playing");
    }
    if (this.src === src) { return; }
    if (!this.video) {
      var video = document.createElement("video");
      video.className = "live-video";
      video.controls = true;
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.setAttribute("playsinline", "");
      video.setAttribute("aria-label", this.stage.getAttribute("data-video-label") || "");
      this.stage.insertBefore(video, this.stage.firstChild);
      this.video = video;
      this.watch(video);
    }
    this.video.hidden = false;
    var poster = this.stage.querySelector(".live-poster[data-poster]");
    if (poster) { poster.hidden = true; }
    this.stage.setAttribute("data-state", "live");
    this.attach(src);
  };

  Player.prototype.applySeek = function () {
    if (this.pendingSeek > 0 && this.video && !this.hls) {
      if (Math.abs(this.video.currentTime - this.pendingSeek) > 1) {
        this.video.currentTime = this.pendingSeek;
      }
      this.pendingSeek = 0;
    }
  };

  Player.prototype.seek = function (seconds) {
    var video = this.video;
    if (!video) { return; }
    if (video.readyState >= 1) {
      video.currentTime = seconds;
    } else if (this.hls) {
      this.hls.startLoad(seconds);
      video.currentTime = seconds;
    } else {
      this.pendingSeek = seconds;
    }
    this.play();
  };

  function init() {
    var stage = document.querySelector("[data-player]");
    if (!stage) { return; }
    var player = new Player(stage);
    window.ytPlayer = player;  // for the browser tests and the console's curious

    document.addEventListener("htmx:afterSettle", function () {
      var state = document.getElementById("live-state");
      if (state && player.live) {
        player.follow(state.getAttribute("data-state"), state.getAttribute("data-src"));
      }
    });

    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-seek]");
      if (!link || !player.video || event.button !== 0 || event.metaKey || event.ctrlKey) { return; }
      event.preventDefault();
      player.seek(parseFloat(link.getAttribute("data-seek")) || 0);
      if (window.history && history.replaceState) { history.replaceState(null, "", link.href); }
      stage.scrollIntoView({ block: "start", behavior: "smooth" });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
