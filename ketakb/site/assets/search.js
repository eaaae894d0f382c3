/* ketakb site search: runs in the page over window.KETAKB_SEARCH (assets/search-index.js),
   so it works from file:// with no request. search.html?q=TEXT lists what has every word.
   Results are built with textContent: text from records is never parsed as HTML. */
(function () {
  "use strict";
  var MAX_RESULTS = 100;
  var index = window.KETAKB_SEARCH || [];
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var box = document.getElementById("site-q");
  if (!status || !list) { return; }
  if (box) { box.value = query; }

  function fold(text) { return text.toLowerCase(); }

  /* Every word must occur in the title, a name or the other text. A word in the title or a
     name counts most, a name that is the whole query most of all; records come before
     sources, sources before claims. */
  function score(entry, words) {
    var title = fold(entry[1]);
    var names = entry[4].map(fold);
    var text = fold(entry[3]) + " " + names.join(" ");
    var whole = words.join(" ");
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      if (title.indexOf(words[i]) >= 0) { total += 10; }
      else if (text.indexOf(words[i]) >= 0) { total += 1; }
      else { return 0; }
    }
    if (title === whole || names.indexOf(whole) >= 0) { total += 100; }
    return total + (entry[2] === "claim" ? 0 : (entry[2] === "source" ? 2 : 8));
  }

  if (!query) {
    status.textContent = "Type words in the search box to search every record, source and claim.";
    return;
  }
  var words = fold(query).split(/\s+/).filter(function (w) { return w.length > 0; });
  var hits = [];
  for (var i = 0; i < index.length; i++) {
    var s = score(index[i], words);
    if (s > 0) { hits.push([s, index[i]]); }
  }
  hits.sort(function (a, b) {
    if (b[0] !== a[0]) { return b[0] - a[0]; }
    return a[1][1] < b[1][1] ? -1 : (a[1][1] > b[1][1] ? 1 : 0);
  });
  status.textContent = hits.length === 0 ? "Nothing matches \u201c" + query + "\u201d."
    : hits.length + " match" + (hits.length === 1 ? "" : "es") + " for \u201c" + query +
      "\u201d" + (hits.length > MAX_RESULTS ? "; the first " + MAX_RESULTS + " are shown." : ".");
  for (var j = 0; j < Math.min(hits.length, MAX_RESULTS); j++) {
    var entry = hits[j][1];
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = entry[0];
    link.textContent = entry[1];
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = " (" + entry[2] + ")";
    item.appendChild(link);
    item.appendChild(kind);
    list.appendChild(item);
  }
}());
