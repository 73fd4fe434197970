/* Site search. On every page: "/" focuses the search box. On /search/: results as you type,
   ranked from the prebuilt index (builder/search.py documents its files), as an ARIA combobox.
   The ranking functions mirror builder/search.py; tests hold the two to the same results.
   Data goes into the page only through textContent and attributes, never as HTML. */
(function () {
  'use strict';

  var PREFIX = /^(?:django|dj)[-_ ]/;
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var MAX_RESULTS = 20;

  function tokens(text) {
    return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  function normalize(q) {
    return q.toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  }

  function noPrefix(text) {
    return text.replace(PREFIX, '');
  }

  /* The head's items with the lower-cased names ranking compares against. */
  function prepare(head) {
    head.names = head.items.map(function (it) {
      var title = it[1].toLowerCase(), slug = it[2] || title;
      return [title, slug, noPrefix(title), noPrefix(slug)];
    });
    return head;
  }

  /* Indexes of the word chunks that may hold tokens starting with `word`. */
  function chunksFor(head, word) {
    var first = head.words.first, i = 0, out = [];
    while (i + 1 < first.length && first[i + 1] <= word) i++;
    if (!first.length) return out;
    out.push(i);
    for (var j = i + 1; j < first.length && first[j].indexOf(word) === 0; j++) out.push(j);
    return out;
  }

  /* Positions whose description has a token starting with `word`, from loaded chunks. */
  function postings(chunks, word) {
    var found = new Set();
    chunks.forEach(function (chunk) {
      chunk.forEach(function (row) {
        if (row[0].indexOf(word) !== 0) return;
        for (var k = 1, pos = 0; k < row.length; k++) {
          pos += row[k];
          found.add(pos);
        }
      });
    });
    return found;
  }

  function describedWords(head, q) {
    var min = head.words.min;
    return (tokens(q).length ? tokens(q) : [q]).filter(function (w) { return w.length >= min; });
  }

  /* 0 exact title/slug, 1 prefix, 2 every word in title/slug, 3 with the description; -1 none. */
  function tier(names, q, words, described, pos) {
    var i;
    for (i = 0; i < 4; i++) if (names[i] === q) return 0;
    for (i = 0; i < 4; i++) if (names[i].indexOf(q) === 0) return 1;
    var both = names[0] + ' ' + names[1];
    if (words.every(function (w) { return both.indexOf(w) !== -1; })) return 2;
    var ok = words.every(function (w) {
      return both.indexOf(w) !== -1 || (described[w] !== undefined && described[w].has(pos));
    });
    return ok ? 3 : -1;
  }

  /* {total, positions}: the best MAX_RESULTS matches, by tier then position. `described` maps
     each long enough query word to its postings. */
  function rank(head, query, described, limit) {
    var q = normalize(query);
    if (!q) return {total: 0, positions: []};
    var words = tokens(q);
    if (!words.length) words = [q];
    var hits = [];
    for (var pos = 0; pos < head.names.length; pos++) {
      var t = tier(head.names[pos], q, words, described, pos);
      if (t >= 0) hits.push([t, pos]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return {total: hits.length, positions: hits.slice(0, limit || MAX_RESULTS).map(function (h) { return h[1]; })};
  }

  function formatDate(days) {
    if (!days) return '';
    var d = new Date(days * 86400000);
    var day = d.getUTCDate();
    return MONTHS[d.getUTCMonth()] + ' ' + (day < 10 ? '0' : '') + day + ', ' + d.getUTCFullYear();
  }

  function formatNumber(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  var api = {tokens: tokens, normalize: normalize, noPrefix: noPrefix, prepare: prepare, chunksFor: chunksFor,
    postings: postings, describedWords: describedWords, rank: rank, formatDate: formatDate,
    formatNumber: formatNumber};
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  if (typeof document === 'undefined') return;

  /* "/" focuses the page's main search box, unless the reader is typing somewhere. */
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var el = document.activeElement;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    var box = document.getElementById('search-q') || document.getElementById('qh') || document.getElementById('q');
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });

  var root = document.getElementById('search');
  if (!root) return;
  var input = document.getElementById('search-q');
  var list = document.getElementById('search-results');
  var status = document.getElementById('search-status');
  var form = input.form;
  var base = root.getAttribute('data-base') || '';
  var headUrl = new URL(root.getAttribute('data-index'), location.href);
  var files = new Map();
  var active = -1, serial = 0, shown = [];

  function load(name) {
    var url = new URL(name, headUrl).href;
    if (!files.has(url)) {
      files.set(url, fetch(url).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).catch(function (err) { files.delete(url); throw err; }));
    }
    return files.get(url);
  }

  var headPromise = null;
  function head() {
    if (!headPromise) headPromise = load(headUrl.href).then(prepare);
    return headPromise;
  }

  function find(query) {
    return head().then(function (h) {
      var words = describedWords(h, normalize(query)), described = {};
      return Promise.all(words.map(function (w) {
        return Promise.all(chunksFor(h, w).map(function (i) { return load(h.words.files[i]); }))
          .then(function (chunks) { described[w] = postings(chunks, w); });
      })).then(function () {
        var found = rank(h, query, described);
        var size = h.docs.size;
        var shards = Array.from(new Set(found.positions.map(function (p) { return Math.floor(p / size); })));
        return Promise.all(shards.map(function (s) { return load(h.docs.files[s]); })).then(function (docs) {
          var text = {};
          shards.forEach(function (s, k) { text[s] = docs[k]; });
          found.results = found.positions.map(function (p) {
            return {item: h.items[p], description: text[Math.floor(p / size)][p % size], categories: h.categories};
          });
          return found;
        });
      });
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function option(result, n) {
    var it = result.item, grid = it[0] === -1, slug = it[2] || it[1].toLowerCase();
    var a = el('a', 'hit');
    a.id = 'search-option-' + n;
    a.setAttribute('role', 'option');
    a.setAttribute('aria-selected', 'false');
    a.tabIndex = -1;
    a.href = base + (grid ? '/grids/g/' : '/packages/p/') + encodeURIComponent(slug) + '/';
    a.appendChild(el('span', 'hit-title', it[1]));
    var facts = [grid ? 'Grid' : result.categories[it[0]],
      grid ? formatNumber(it[4]) + (it[4] === 1 ? ' package' : ' packages') : '★ ' + formatNumber(it[4])];
    if (it[6]) facts.push('updated ' + formatDate(it[6]));
    a.appendChild(el('span', 'hit-meta', facts.join(' · ')));
    if (result.description) a.appendChild(el('span', 'hit-desc', result.description));
    return a;
  }

  function setActive(n) {
    var options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
    active = n;
    if (n >= 0 && options[n]) {
      options[n].setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', options[n].id);
      options[n].scrollIntoView({block: 'nearest'});
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function show(query, found) {
    list.replaceChildren();
    active = -1;
    input.removeAttribute('aria-activedescendant');
    shown = found.results;
    shown.forEach(function (r, n) { list.appendChild(option(r, n)); });
    input.setAttribute('aria-expanded', shown.length ? 'true' : 'false');
    list.hidden = !shown.length;
    var q = normalize(query);
    if (!q) status.textContent = '';
    else if (!found.total) status.textContent = 'No packages or grids match “' + q + '”.';
    else status.textContent = found.total > shown.length
      ? 'Showing the best ' + shown.length + ' of ' + formatNumber(found.total) + ' matches for “' + q + '”.'
      : formatNumber(found.total) + (found.total === 1 ? ' match' : ' matches') + ' for “' + q + '”.';
  }

  function update() {
    var query = input.value, mine = ++serial;
    var url = new URL(location.href);
    if (normalize(query)) url.searchParams.set('q', query); else url.searchParams.delete('q');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    if (!normalize(query)) { show(query, {total: 0, results: []}); return; }
    find(query).then(function (found) {
      if (mine === serial) show(query, found);
    }, function (err) {
      if (mine !== serial) return;
      show('', {total: 0, results: []});
      status.textContent = 'The search index could not be loaded (' + err.message + '). Browse the lists instead.';
    });
  }

  input.addEventListener('input', update);
  input.addEventListener('keydown', function (e) {
    var count = list.children.length;
    if (e.key === 'ArrowDown' && count) {
      e.preventDefault();
      setActive(active + 1 < count ? active + 1 : 0);
    } else if (e.key === 'ArrowUp' && count) {
      e.preventDefault();
      setActive(active > 0 ? active - 1 : count - 1);
    } else if (e.key === 'Enter' && count) {
      e.preventDefault();
      location.assign(list.children[active >= 0 ? active : 0].href);
    } else if (e.key === 'Escape') {
      if (active >= 0) setActive(-1);
      else { input.value = ''; update(); }
    }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); update(); });

  root.hidden = false;
  var initial = new URLSearchParams(location.search).get('q');
  if (initial) {
    input.value = initial;
    update();
  }
})();
