// The card's visual editor: which gateway (entry), which phone to send from, how tall.
// Built on Home Assistant's own form element (ha-form), as the built-in cards' editors are.
import { LitElement, html, nothing, type TemplateResult } from "lit";

import { localize, type Key } from "./localize";
import type { CardConfig, HomeAssistant, InboxEntry } from "./types";

const LABELS: Record<string, Key> = {
  entry_id: "editor_entry",
  phone: "editor_phone",
  height: "editor_height",
};

export class SmsBridgeInboxCardEditor extends LitElement {
  declare hass: HomeAssistant;
  declare private _config: CardConfig | undefined;
  declare private _entries: InboxEntry[];

  private _loading = false;

  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _entries: { state: true },
  };

  constructor() {
    super();
    this._entries = [];
  }

  setConfig(config: CardConfig): void {
    this._config = config;
  }

  protected override willUpdate(): void {
    if (this.hass && !this._loading) {
      this._loading = true;
      this.hass.connection
        .sendMessagePromise<InboxEntry[]>({ type: "sms_bridge/inbox/entries" })
        .then((entries) => (this._entries = entries))
        .catch(() => (this._entries = []));
    }
  }

  private get _schema(): Record<string, unknown>[] {
    const entry =
      this._entries.find((item) => item.entry_id === this._config?.entry_id) ?? this._entries[0];
    const phones = entry?.phones ?? [];
    return [
      { name: "entry_id", selector: { config_entry: { integration: "sms_bridge" } } },
      ...(phones.length
        ? [
            {
              name: "phone",
              selector: {
                select: {
                  mode: "dropdown",
                  options: phones.map((phone) => ({ value: phone.id, label: phone.name })),
                },
              },
            },
          ]
        : []),
      {
        name: "height",
        selector: { number: { min: 240, max: 1600, step: 10, mode: "box", unit_of_measurement: "px" } },
      },
    ];
  }

  protected override render(): TemplateResult | typeof nothing {
    if (!this.hass || !this._config) return nothing;
    return html`<ha-form
      .hass=${this.hass}
      .data=${this._config}
      .schema=${this._schema}
      .computeLabel=${(field: { name: string }) => localize(this.hass, LABELS[field.name])}
      @value-changed=${this._changed}
    ></ha-form>`;
  }

  private _changed(ev: CustomEvent<{ value: CardConfig }>): void {
    ev.stopPropagation();
    const config: CardConfig = { ...ev.detail.value };
    for (const key of ["entry_id", "phone", "height"] as const) {
      if (config[key] === undefined || config[key] === "" || config[key] === null) {
        delete config[key];
      }
    }
    this._config = config;
    this.dispatchEvent(
      new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
    );
  }
}
