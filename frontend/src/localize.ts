// The card's own texts in the integration's seven languages; English where a text is missing.
import de from "./translations/de.json";
import en from "./translations/en.json";
import es from "./translations/es.json";
import fr from "./translations/fr.json";
import it from "./translations/it.json";
import ru from "./translations/ru.json";
import zhHans from "./translations/zh-Hans.json";
import type { HomeAssistant } from "./types";

export type Key = keyof typeof en;
type Texts = Partial<Record<Key, string>>;

const LANGUAGES: Record<string, Texts> = {
  de,
  en,
  es,
  fr,
  it,
  ru,
  "zh-Hans": zhHans,
};

function texts(language: string): Texts {
  if (LANGUAGES[language]) return LANGUAGES[language];
  if (language.startsWith("zh")) return LANGUAGES["zh-Hans"];
  return LANGUAGES[language.split("-")[0]] ?? en;
}

export function localize(
  hass: HomeAssistant | undefined,
  key: Key,
  values: Record<string, string | number> = {},
): string {
  // Without hass (the card picker's entry), the language the frontend set on the page.
  const language =
    hass?.locale?.language ?? hass?.language ?? (document.documentElement.lang || "en");
  const text = texts(language)[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in values ? String(values[name]) : match,
  );
}
