// Neural MT: progressive enhancement for the translate and check pages. Everything works without this file:
// the form posts normally, the word/subword toggle is radio buttons + CSS, rows highlight with CSS.
// This adds column highlighting and a readout for the heatmap, arrow-key navigation between cells,
// a remembered word/subword choice, a character counter and a busy state on submit.
/* global document, window */
(function () {
  'use strict';

  var readout = document.getElementById('heatmap-readout');
  var idleReadout = readout ? readout.textContent : '';

  function setupHeatmap(table) {
    var cells = table.querySelectorAll('td[data-r]');
    var lit = [];

    function clear() {
      lit.forEach(function (el) {
        el.classList.remove('is-hl', 'is-active', 'in-cross');
      });
      lit = [];
      if (readout) {
        readout.textContent = idleReadout;
        readout.classList.remove('is-live');
      }
    }

    function activate(td) {
      clear();
      var r = td.getAttribute('data-r');
      var c = td.getAttribute('data-c');
      var rowHead = table.querySelector('th[data-r="' + r + '"]');
      var colHead = table.querySelector('th[data-c="' + c + '"]');
      [rowHead, colHead].forEach(function (el) {
        if (el) {
          el.classList.add('is-hl');
          lit.push(el);
        }
      });
      td.classList.add('is-active');
      lit.push(td);
      if (readout) {
        readout.textContent = td.getAttribute('aria-label');
        readout.classList.add('is-live');
      }
    }

    // Roving tabindex: one tab stop per matrix, arrow keys move between cells.
    cells.forEach(function (td, k) {
      td.setAttribute('tabindex', k === 0 ? '0' : '-1');
    });

    table.addEventListener('mouseover', function (e) {
      var td = e.target.closest && e.target.closest('td[data-r]');
      if (td) activate(td);
    });
    table.addEventListener('mouseleave', function () {
      if (!table.contains(document.activeElement)) clear();
    });
    table.addEventListener('focusin', function (e) {
      var td = e.target.closest('td[data-r]');
      if (!td) return;
      cells.forEach(function (cell) {
        cell.setAttribute('tabindex', cell === td ? '0' : '-1');
      });
      activate(td);
    });
    table.addEventListener('focusout', function (e) {
      if (!e.relatedTarget || !table.contains(e.relatedTarget)) clear();
    });
    table.addEventListener('keydown', function (e) {
      var td = e.target.closest('td[data-r]');
      if (!td) return;
      var r = Number(td.getAttribute('data-r'));
      var c = Number(td.getAttribute('data-c'));
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      var m = moves[e.key];
      if (!m) return;
      var next = table.querySelector('td[data-r="' + (r + m[0]) + '"][data-c="' + (c + m[1]) + '"]');
      if (next) {
        e.preventDefault();
        next.focus();
      }
    });
  }

  document.querySelectorAll('table[data-heatmap]').forEach(setupHeatmap);

  // A matrix wider than the screen scrolls inside its box: say so, and fade the edge with more behind it.
  function setupScrollCue(frame) {
    var box = frame.querySelector('.heatmap-scroll');
    var hint = frame.querySelector('[data-scroll-hint]');
    var hintText = frame.querySelector('[data-scroll-hint-text]');
    if (!box) return;
    function update() {
      // Hidden matrices (the other view of the word/subword toggle) measure 0: leave them alone.
      if (box.clientWidth === 0) return;
      var scrollable = box.scrollWidth > box.clientWidth + 1;
      frame.classList.toggle('is-scrollable', scrollable);
      frame.classList.toggle('at-end', box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
      if (hint) hint.hidden = !scrollable;
      if (scrollable && hintText) {
        var heads = box.querySelectorAll('thead th.col-head');
        var rect = box.getBoundingClientRect();
        var rowHead = box.querySelector('tbody th.row-head');
        var left = rect.left + (rowHead ? rowHead.getBoundingClientRect().width : 0);
        var shown = 0;
        heads.forEach(function (th) {
          var r = th.getBoundingClientRect();
          if (r.left >= left - 1 && r.right <= rect.right + 1) shown++;
        });
        hintText.textContent =
          'Scroll the matrix sideways: ' + shown + ' of ' + heads.length + ' columns in view.';
      }
    }
    box.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    document.querySelectorAll('input[name="view"]').forEach(function (radio) {
      radio.addEventListener('change', update);
    });
    update();
  }
  document.querySelectorAll('[data-heatmap-frame]').forEach(setupScrollCue);

  // Remember the word/subword choice.
  var KEY = 'nmt.alignmentView';
  var radios = document.querySelectorAll('input[name="view"]');
  try {
    var saved = window.localStorage.getItem(KEY);
    radios.forEach(function (radio) {
      if (radio.value === saved) radio.checked = true;
      radio.addEventListener('change', function () {
        if (radio.checked) window.localStorage.setItem(KEY, radio.value);
      });
    });
  } catch {
    // Storage disabled: the toggle still works, it is just not remembered.
  }

  // Character counters, Ctrl/Cmd+Enter to submit, busy state: for every form of the page (translate, check).
  document.querySelectorAll('form.translate-form').forEach(function (form) {
    form.querySelectorAll('textarea').forEach(function (text) {
      var counter = document.getElementById(text.getAttribute('data-counter') || '');
      var max = Number(text.getAttribute('maxlength')) || 0;
      var update = function () {
        if (!counter || !max) return;
        var n = Array.from(text.value).length;
        counter.textContent = n + ' / ' + max;
        counter.classList.toggle('is-near', n > max * 0.9);
      };
      text.addEventListener('input', update);
      update();
      text.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        }
      });
    });
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        button.setAttribute('aria-busy', 'true');
        button.textContent = form.getAttribute('data-busy-label') || 'Working…';
      }
    });
  });
})();
