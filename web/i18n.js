// The pages' words in English and in Spanish. A page follows the browser's
// language (navigator.languages: the first of them that is Spanish or
// English), or `?lang=es` / `?lang=en` in its address. What the API answers
// (a vote's error message) stays as the API says it.
//
// In the HTML, `data-i18n="key"` replaces an element's text, and
// `data-i18n-label="key"` its aria-label; in the scripts, t("key", {name})
// gives a message with its {placeholders} filled.

const MESSAGES = {
  en: {
    "vote.title": "Driver of the Day — vote",
    "dashboard.title": "Driver of the Day — live results",
    "heading.vote": "Driver of the Day",
    "heading.dashboard": "Driver of the Day — live",
    "nav.vote": "Vote",
    "nav.results": "Live results",
    "vote.ask": "Who was the driver of the day? Pick one and vote.",
    "vote.as": "You are voting as",
    "vote.once": "one vote per fan counts.",
    "vote.drivers": "Drivers",
    "vote.button": "Vote",
    "vote.busy": "Busy: many fans are voting. Trying again…",
    "vote.thanks": "Thank you! Your vote for {driver} is in (record {record}).",
    "vote.refused": "Not counted ({status}): {message}",
    "vote.unexpected": "unexpected answer",
    "vote.failed": "The vote could not be sent: {message}",
    "vote.signIn": "sign-in failed ({status})",
    "page.failed": "The page could not start: {message}",
    "stats.total": "Votes counted",
    "stats.updated": "Last update",
    "stats.status": "Status",
    "stats.lag": "Counts behind the votes",
    "status.connecting": "connecting…",
    "status.live": "live",
    "status.retrying": "retrying ({message})",
    "results.none": "no votes yet",
    "lag.value": "{now} s (at worst {worst} s)",
    "room.qr": "QR code of the vote page",
    "room.phone": "Vote on your phone",
  },
  es: {
    "vote.title": "Piloto del Día — votación",
    "dashboard.title": "Piloto del Día — resultados en vivo",
    "heading.vote": "Piloto del Día",
    "heading.dashboard": "Piloto del Día — en vivo",
    "nav.vote": "Votar",
    "nav.results": "Resultados en vivo",
    "vote.ask": "¿Quién fue el piloto del día? Elige uno y vota.",
    "vote.as": "Votas como",
    "vote.once": "cuenta un voto por aficionado.",
    "vote.drivers": "Pilotos",
    "vote.button": "Votar",
    "vote.busy": "Hay mucha gente votando. Intentando de nuevo…",
    "vote.thanks": "¡Gracias! Tu voto por {driver} quedó registrado (registro {record}).",
    "vote.refused": "No se contó ({status}): {message}",
    "vote.unexpected": "respuesta inesperada",
    "vote.failed": "No se pudo enviar el voto: {message}",
    "vote.signIn": "no se pudo iniciar sesión ({status})",
    "page.failed": "La página no pudo arrancar: {message}",
    "stats.total": "Votos contados",
    "stats.updated": "Última actualización",
    "stats.status": "Estado",
    "stats.lag": "Retraso de los conteos",
    "status.connecting": "conectando…",
    "status.live": "en vivo",
    "status.retrying": "reintentando ({message})",
    "results.none": "todavía no hay votos",
    "lag.value": "{now} s (como máximo {worst} s)",
    "room.qr": "Código QR de la página de votación",
    "room.phone": "Vota desde tu teléfono",
  },
};

/// The page's language: `?lang=` when it names one we have, otherwise the
/// first of the browser's languages that we have, otherwise English.
export function language(search = location.search, languages = navigator.languages) {
  const asked = new URLSearchParams(search).get("lang");
  if (asked in MESSAGES) return asked;
  for (const tag of languages || []) {
    const primary = tag.toLowerCase().split("-")[0];
    if (primary in MESSAGES) return primary;
  }
  return "en";
}

const lang = language();

/// The message `key` in the page's language, `{name}`s filled from `values`.
export function t(key, values = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/// Puts the page's words in its language: the `lang` attribute, the title,
/// and every `data-i18n` / `data-i18n-label` element.
export function translatePage(titleKey) {
  document.documentElement.lang = lang;
  document.title = t(titleKey);
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
  for (const element of document.querySelectorAll("[data-i18n-alt]")) {
    element.setAttribute("alt", t(element.dataset.i18nAlt));
  }
}

/// The page's language code, for number and time formats.
export const locale = lang;
