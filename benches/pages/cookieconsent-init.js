// vanilla-cookieconsent 3.x set up as its documentation's quick start does,
// with the same three purposes as the Candor and Klaro pages. hideFromBots is
// switched off only because the bench browser is automated (navigator.webdriver
// is true, and cookieconsent would otherwise never show its modal).
CookieConsent.run({
  hideFromBots: false,
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: {},
    video: {},
  },
  language: {
    default: 'en',
    translations: {
      en: {
        consentModal: {
          title: 'Your choices',
          description: 'We store your choice. We would like to count visits and show videos.',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          showPreferencesBtn: 'Choose',
        },
        preferencesModal: {
          title: 'Your choices',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          savePreferencesBtn: 'Save',
          closeIconLabel: 'Close',
          sections: [
            { title: 'Keep the site working', description: 'We store your choice.', linkedCategory: 'necessary' },
            { title: 'Count visits', description: 'We count page views.', linkedCategory: 'analytics' },
            { title: 'Show videos', description: 'Videos come from another company.', linkedCategory: 'video' },
          ],
        },
      },
    },
  },
});
