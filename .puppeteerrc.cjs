// mermaid-cli drives a browser through puppeteer. Installs must never download one: the system's
// Chromium (/usr/bin/chromium, Debian's package) is used instead.
module.exports = { skipDownload: true, executablePath: '/usr/bin/chromium' };
