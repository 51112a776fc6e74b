// How many SMS parts a text takes, as the integration counts them (api/text.py): GSM-7 when
// every character is in the GSM 03.38 alphabet (160 septets, 153 per part of a long text; an
// extension character takes two), else UCS-2 (70 units, 67 per part; an emoji takes two).

const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM7_EXTENDED = new Set("^{}\\[~]|€\f");

export type Encoding = "gsm7" | "ucs2";

export interface Segments {
  encoding: Encoding;
  parts: number;
  characters: number;
}

export function isGsm7(text: string): boolean {
  for (const char of text) {
    if (!GSM7_BASIC.has(char) && !GSM7_EXTENDED.has(char)) return false;
  }
  return true;
}

export function segments(text: string): Segments {
  const chars = Array.from(text);
  const gsm = isGsm7(text);
  const sizes = chars.map((char) =>
    gsm ? (GSM7_EXTENDED.has(char) ? 2 : 1) : (char.codePointAt(0) ?? 0) > 0xffff ? 2 : 1,
  );
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const total = sizes.reduce((sum, size) => sum + size, 0);
  let parts = 1;
  if (total > single) {
    let used = 0;
    for (const size of sizes) {
      if (used + size > multi) {
        parts += 1;
        used = 0;
      }
      used += size;
    }
  }
  return { encoding: gsm ? "gsm7" : "ucs2", parts, characters: chars.length };
}
