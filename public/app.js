// Neural MT: progressive enhancement for the translate page. Everything works without this file:
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

  // Character counter, Ctrl/Cmd+Enter to submit, busy state.
  var form = document.getElementById('translate-form');
  var text = document.getElementById('text');
  var counter = document.getElementById('text-counter');
  if (form && text) {
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
    form.addEventListener('submit', function () {
      var button = document.getElementById('submit');
      if (button) {
        button.setAttribute('aria-busy', 'true');
        button.textContent = 'Translating…';
      }
    });
  }
})();
