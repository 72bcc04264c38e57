/* Counts one view of this page, whatever served the HTML (Qalam, a cache, a CDN, a static export):
   a small POST to /_qalam/view with the page path, no cookies, no third-party code (docs/counter.md).
   A file, not an inline script, so pages can carry a Content-Security-Policy without 'unsafe-inline'. */
(function () {
  var me = document.currentScript;
  var path = me && me.getAttribute("data-path");
  if (!path) return;
  function send() {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon("/_qalam/view", path)) return;
      var x = new XMLHttpRequest();
      x.open("POST", "/_qalam/view", true);
      x.setRequestHeader("Content-Type", "text/plain;charset=UTF-8");
      x.send(path);
    } catch (e) {}
  }
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
