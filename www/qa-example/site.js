// Crumb's own script (first party, no purpose needed): saved recipes live in
// localStorage; reading and printing are counted through Candor, which
// refuses them unless "stats" is granted.
'use strict';
(function () {
  var saved = JSON.parse(localStorage.getItem('crumb.saved') || '[]');
  var out = document.getElementById('saved');
  function show() { out.textContent = saved.length ? 'Saved: ' + saved.join(', ') : ''; }
  show();
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof HTMLElement)) return;
    if (t.dataset.recipe) window.candor.track('recipe_view', { recipe: t.dataset.recipe });
    if (t.dataset.save && saved.indexOf(t.dataset.save) < 0) {
      saved.push(t.dataset.save);
      localStorage.setItem('crumb.saved', JSON.stringify(saved));
      show();
    }
    if (t.id === 'print') window.candor.track('print');
  });
})();
