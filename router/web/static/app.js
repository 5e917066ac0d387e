// Show every <time datetime="..."> in the reader's own time zone (the server writes UTC).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var fmt = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "medium"});
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.title = el.textContent;
      el.textContent = fmt.format(when);
    }
  });
});
