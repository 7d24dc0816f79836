// The console's own texts, from the server's catalog for one language (English fills any gap).
let texts = {};
let language = "en";
let languages = ["en"];

export async function loadTexts(tag) {
  const response = await fetch(`/api/texts/${encodeURIComponent(tag || "en")}`);
  const data = await response.json();
  texts = data.texts;
  language = data.language;
  languages = data.languages;
  document.documentElement.lang = language;
  applyTexts(document);
  return data;
}

export function currentLanguage() { return language; }
export function catalogLanguages() { return languages; }

export function t(key, vars = {}) {
  let text = texts[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export function applyTexts(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}
