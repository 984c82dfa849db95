// Stands in for a site's analytics code in the plain HTML recipe. The page
// tags it data-candor-purpose="analytics", so it runs only once that purpose
// is granted, and at most once per page load.
window.candor.track('page_view', { path: '/', load_ms: Math.round(performance.now()) });
