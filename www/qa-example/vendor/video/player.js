// "Pan Video", a fictional embed: its player sets a session cookie.
document.cookie = '_vid_session=' + Math.random().toString(36).slice(2) + '; path=/';
