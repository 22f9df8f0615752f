/** The provider's own HTML pages: the login form and the device-flow pages. No scripts, no outside resources. */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:3em auto;max-width:22em}label,input,button{display:block;width:100%;margin:.4em 0}input{padding:.4em}p.error{color:#b00020}';

/** A whole page around `body` (trusted HTML: callers escape what they put in). */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

/** The login form of an interaction; `error` is shown above it (the same text for any wrong user or password). */
export function loginPage(options: { readonly action: string; readonly clientName: string; readonly username?: string; readonly error?: string }): string {
  const error = options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error)}</p>\n`;
  return page(
    'Sign in to Beamline',
    `${error}<p>Signing in to <strong>${escapeHtml(options.clientName)}</strong>.</p>
<form method="post" action="${escapeHtml(options.action)}" autocomplete="off">
<label for="username">User name</label>
<input id="username" type="text" name="username" value="${escapeHtml(options.username ?? '')}" required autofocus>
<label for="password">Password</label>
<input id="password" type="password" name="password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** The device flow's code entry page around the provider's form (which carries the XSRF token). */
export function userCodeInputPage(form: string, error: string | undefined): string {
  const message = error === undefined ? '<p>Enter the code shown by the command line.</p>' : `<p class="error" role="alert">${escapeHtml(error)}</p>`;
  return page('Device sign-in', `${message}\n${form}\n<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

/** The device flow's confirmation page: the code the user should compare with their terminal. */
export function userCodeConfirmPage(form: string, clientName: string, userCode: string): string {
  return page(
    'Confirm device sign-in',
    `<p><strong>${escapeHtml(clientName)}</strong> asks to sign in. Continue only if your terminal shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>`,
  );
}

/** The page shown once a device sign-in is done. */
export function deviceSuccessPage(): string {
  return page('Signed in', '<p>The command line is signed in. You can close this page.</p>');
}

/** An error page: only the OAuth error code and its description, never request data. */
export function errorPage(out: object): string {
  const lines = Object.entries(out).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`);
  return page('Sign-in failed', lines.join('\n'));
}
