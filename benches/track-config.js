// The config of the track benches that compare builds or split one task
// (track-ab.js, track-task.js): a category and a histogram field, and a
// per-window bound high enough never to cap a round.
'use strict';
module.exports = {
  site: 'bench.example', revision: 'r1',
  purposes: [
    { id: 'necessary', required: true, label: 'Keep the site working', explain: 'We store your choice.', benefit: 'The site works.' },
    { id: 'stats', label: 'Count visits', explain: 'We count page views.', benefit: 'We fix slow pages.' },
  ],
  events: { page_view: { purpose: 'stats', max_per_window: 1000000000, fields: {
    path: { kind: 'category', values: ['/', '/shop', '/cart'] }, load_ms: { kind: 'histogram', buckets: [100, 300, 1000, 3000] } } } },
};
