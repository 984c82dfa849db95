// Klaro 0.7 set up as its sample config does (klaro.js with its CSS built in),
// with the same three purposes as the Candor and cookieconsent pages.
var klaroConfig = {
  version: 1,
  elementID: 'klaro',
  storageMethod: 'localStorage',
  mustConsent: false,
  acceptAll: true,
  lang: 'en',
  translations: {
    en: {
      purposes: { necessary: 'Keep the site working', analytics: 'Count visits', video: 'Show videos' },
      site: { description: 'We store your choice.' },
      stats: { description: 'We count page views.' },
      player: { description: 'Videos come from another company.' },
    },
  },
  services: [
    { name: 'site', title: 'Site', purposes: ['necessary'], required: true },
    { name: 'stats', title: 'Statistics', purposes: ['analytics'] },
    { name: 'player', title: 'Video player', purposes: ['video'] },
  ],
};
