// custom:sms-bridge-inbox-card: the SMS Bridge inbox on a dashboard. Threads with unread
// badges and a search box; a thread with its bubbles, times, delivery ticks and the phone each
// message came through; a reply box with a live segment counter. Replies go through the
// sms_bridge.send_message action, the integration's one send path (limits, outbox, tracking).
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from "lit";

import { SmsBridgeInboxCardEditor } from "./editor";
import { localize, type Key } from "./localize";
import { segments } from "./segments";
import type {
  CardConfig,
  HomeAssistant,
  InboxEntry,
  InboxEvent,
  InboxMessage,
  ThreadPage,
  ThreadSummary,
} from "./types";

const DOMAIN = "sms_bridge";
const DEFAULT_HEIGHT = 520;
const PAGE = 50;
const RESUBSCRIBE_DELAY = 3000; // ms after the entry reloaded (its options changed)

type Tick = "queued" | "sent" | "delivered" | "failed";

function tick(status: string): Tick | null {
  switch (status) {
    case "scheduled":
    case "pending":
    case "queued":
    case "unknown":
      return "queued";
    case "sent":
      return "sent";
    case "delivered":
      return "delivered";
    case "failed":
    case "canceled":
      return "failed";
    default:
      return null;
  }
}

const TICK_ICONS: Record<Tick, string> = {
  queued: "mdi:clock-outline",
  sent: "mdi:check",
  delivered: "mdi:check-all",
  failed: "mdi:alert-circle-outline",
};

interface WsError {
  code?: string;
  message?: string;
}

export class SmsBridgeInboxCard extends LitElement {
  declare hass: HomeAssistant;
  declare private _config: CardConfig;
  declare private _entries: InboxEntry[] | undefined;
  declare private _entryId: string | undefined;
  declare private _threads: ThreadSummary[];
  declare private _open: ThreadPage | undefined;
  declare private _search: string;
  declare private _draft: string;
  declare private _phone: string;
  declare private _sending: boolean;
  declare private _problem: { key: Key; error?: string } | undefined;
  declare private _sendError: string | undefined;

  private _unsubscribe?: Promise<() => Promise<void>>;
  private _started = false;
  private _resubscribe?: number;

  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _entries: { state: true },
    _entryId: { state: true },
    _threads: { state: true },
    _open: { state: true },
    _search: { state: true },
    _draft: { state: true },
    _phone: { state: true },
    _sending: { state: true },
    _problem: { state: true },
    _sendError: { state: true },
  };

  constructor() {
    super();
    this._threads = [];
    this._search = "";
    this._draft = "";
    this._phone = "";
    this._sending = false;
  }

  static getConfigElement(): HTMLElement {
    return document.createElement("sms-bridge-inbox-card-editor");
  }

  static getStubConfig(): Partial<CardConfig> {
    return {};
  }

  setConfig(config: CardConfig): void {
    if (!config) throw new Error("Invalid configuration");
    const changedEntry = this._config && this._config.entry_id !== config.entry_id;
    this._config = config;
    this._phone = config.phone ?? "";
    if (changedEntry && this._started) void this._selectEntry(config.entry_id);
  }

  getCardSize(): number {
    return Math.ceil(this._height / 50);
  }

  getGridOptions(): Record<string, number> {
    return { columns: 12, rows: Math.ceil(this._height / 56), min_rows: 4 };
  }

  private get _height(): number {
    return Number(this._config?.height) || DEFAULT_HEIGHT;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this._started && this.hass) void this._subscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this._unsubscribeNow();
    window.clearTimeout(this._resubscribe);
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has("hass") && this.hass && !this._started) {
      this._started = true;
      void this._load();
    }
  }

  private _t(key: Key, values?: Record<string, string | number>): string {
    return localize(this.hass, key, values);
  }

  // -- data ---------------------------------------------------------------------------

  private async _load(): Promise<void> {
    try {
      this._entries = await this.hass.connection.sendMessagePromise<InboxEntry[]>({
        type: `${DOMAIN}/inbox/entries`,
      });
    } catch (err) {
      this._fail(err);
      return;
    }
    if (!this._entries.length) {
      this._problem = { key: "no_entry" };
      return;
    }
    await this._selectEntry(this._config?.entry_id);
  }

  private async _selectEntry(entryId: string | undefined): Promise<void> {
    const entries = this._entries ?? [];
    const entry = entries.find((item) => item.entry_id === entryId) ?? entries[0];
    if (!entry) return;
    await this._unsubscribeNow();
    this._entryId = entry.entry_id;
    this._open = undefined;
    this._problem = undefined;
    await this._subscribe();
  }

  private async _subscribe(): Promise<void> {
    const entryId = this._entryId;
    if (!entryId || this._unsubscribe) return;
    this._unsubscribe = this.hass.connection.subscribeMessage<InboxEvent>(
      (event) => this._changed(event),
      { type: `${DOMAIN}/inbox/subscribe`, entry_id: entryId },
    );
    try {
      await this._unsubscribe;
      // Read after subscribing: nothing that arrives in between is missed.
      this._threads = await this.hass.connection.sendMessagePromise<ThreadSummary[]>({
        type: `${DOMAIN}/inbox/threads`,
        entry_id: entryId,
      });
      if (this._open) await this._openThread(this._open.number);
    } catch (err) {
      this._unsubscribe = undefined;
      this._fail(err);
    }
  }

  private async _unsubscribeNow(): Promise<void> {
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = undefined;
    if (!unsubscribe) return;
    try {
      await (await unsubscribe)();
    } catch {
      // Already gone with the entry or the connection.
    }
  }

  private _fail(err: unknown): void {
    const error = err as WsError;
    this._problem =
      error?.code === "unauthorized"
        ? { key: "refused" }
        : { key: "error", error: error?.message ?? String(err) };
  }

  private _changed(event: InboxEvent): void {
    switch (event.event) {
      case "message": {
        const thread = event.thread;
        if (thread) {
          this._threads = [thread, ...this._threads.filter((t) => t.number !== thread.number)];
        }
        const open = this._open;
        if (open && open.number === event.message.number) {
          this._open = { ...open, messages: [event.message, ...open.messages] };
          if (!event.message.read) void this._markRead(open.number);
        }
        break;
      }
      case "status": {
        const open = this._open;
        if (open && open.number === event.message.number) {
          this._open = {
            ...open,
            messages: open.messages.map((m) => (m.id === event.message.id ? event.message : m)),
          };
        }
        this._threads = this._threads.map((t) =>
          t.last.id === event.message.id ? { ...t, last: event.message } : t,
        );
        break;
      }
      case "read":
        this._threads = this._threads.map((t) =>
          event.number === null || t.number === event.number ? { ...t, unread: 0 } : t,
        );
        break;
      case "deleted":
        this._threads = this._threads.filter((t) => t.number !== event.number);
        if (this._open?.number === event.number) this._open = undefined;
        break;
      case "closed":
        // The entry reloads: subscribe again once it is back.
        this._unsubscribe = undefined;
        window.clearTimeout(this._resubscribe);
        this._resubscribe = window.setTimeout(() => void this._subscribe(), RESUBSCRIBE_DELAY);
        break;
    }
  }

  private async _openThread(number: string): Promise<void> {
    try {
      this._open = await this.hass.connection.sendMessagePromise<ThreadPage>({
        type: `${DOMAIN}/inbox/thread`,
        entry_id: this._entryId,
        number,
        limit: PAGE,
      });
    } catch (err) {
      this._fail(err);
      return;
    }
    this._sendError = undefined;
    if (this._threads.find((t) => t.number === number)?.unread) await this._markRead(number);
  }

  private async _older(): Promise<void> {
    const open = this._open;
    if (!open?.messages.length) return;
    const page = await this.hass.connection.sendMessagePromise<ThreadPage>({
      type: `${DOMAIN}/inbox/thread`,
      entry_id: this._entryId,
      number: open.number,
      limit: PAGE,
      before: open.messages[open.messages.length - 1].id,
    });
    this._open = { ...open, messages: [...open.messages, ...page.messages], more: page.more };
  }

  private async _markRead(number: string): Promise<void> {
    await this.hass.connection.sendMessagePromise({
      type: `${DOMAIN}/inbox/mark_read`,
      entry_id: this._entryId,
      number,
    });
  }

  private async _delete(): Promise<void> {
    const open = this._open;
    if (!open || !confirm(this._t("delete_confirm", { name: open.name ?? open.number }))) return;
    await this.hass.connection.sendMessagePromise({
      type: `${DOMAIN}/inbox/delete_thread`,
      entry_id: this._entryId,
      number: open.number,
    });
  }

  private async _send(): Promise<void> {
    const open = this._open;
    const text = this._draft;
    if (!open || !text.trim() || this._sending) return;
    const phone = this._phone || this._replyPhone(open);
    this._sending = true;
    this._sendError = undefined;
    try {
      await this.hass.callService(DOMAIN, "send_message", {
        config_entry_id: this._entryId,
        recipients: [open.number],
        message: text,
        ...(phone ? { phone } : {}),
      });
      this._draft = "";
    } catch (err) {
      this._sendError = (err as WsError)?.message ?? String(err);
    } finally {
      this._sending = false;
    }
  }

  /** The phone the last message of the thread came through: answers go back the same way. */
  private _replyPhone(open: ThreadPage): string {
    const last = open.messages.find((m) => m.direction === "incoming" && m.phone_id);
    return last?.phone_id ?? "";
  }

  // -- rendering ----------------------------------------------------------------------

  private get _entry(): InboxEntry | undefined {
    return this._entries?.find((entry) => entry.entry_id === this._entryId);
  }

  private _phoneName(phoneId: string | null): string | null {
    if (!phoneId) return null;
    return this._entry?.phones.find((phone) => phone.id === phoneId)?.name ?? phoneId;
  }

  private _time(at: string, withDate = false): string {
    const date = new Date(at);
    const language = this.hass?.locale?.language ?? this.hass?.language ?? "en";
    const today = new Date().toDateString() === date.toDateString();
    const options: Intl.DateTimeFormatOptions =
      today && !withDate
        ? { hour: "2-digit", minute: "2-digit" }
        : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(language, options).format(date);
  }

  protected override render(): TemplateResult {
    return html`
      <ha-card style="height: ${this._height}px">
        ${this._problem
          ? html`<div class="problem" role="alert">
              ${this._t(this._problem.key, { error: this._problem.error ?? "" })}
            </div>`
          : this._open
            ? this._renderThread(this._open)
            : this._renderList()}
      </ha-card>
    `;
  }

  private _renderEntryChoice(): TemplateResult | typeof nothing {
    const entries = this._entries ?? [];
    if (entries.length < 2 || this._config?.entry_id) return nothing;
    return html`<select
      class="entry"
      aria-label=${this._t("editor_entry")}
      @change=${(ev: Event) => this._selectEntry((ev.target as HTMLSelectElement).value)}
    >
      ${entries.map(
        (entry) =>
          html`<option value=${entry.entry_id} ?selected=${entry.entry_id === this._entryId}>
            ${entry.title}
          </option>`,
      )}
    </select>`;
  }

  private _renderList(): TemplateResult {
    const query = this._search.trim().toLowerCase();
    const threads = query
      ? this._threads.filter((t) =>
          [t.name ?? "", t.number, t.last.text].some((v) => v.toLowerCase().includes(query)),
        )
      : this._threads;
    const unread = this._threads.reduce((sum, t) => sum + t.unread, 0);
    return html`
      <div class="header">
        <div class="title">
          ${this._t("title")}
          ${unread ? html`<span class="badge total">${unread}</span>` : nothing}
        </div>
        ${this._renderEntryChoice()}
      </div>
      <div class="search">
        <ha-icon icon="mdi:magnify"></ha-icon>
        <input
          type="search"
          .value=${this._search}
          placeholder=${this._t("search")}
          aria-label=${this._t("search")}
          @input=${(ev: Event) => (this._search = (ev.target as HTMLInputElement).value)}
        />
      </div>
      <div class="threads" role="list">
        ${threads.length
          ? threads.map((thread) => this._renderRow(thread))
          : html`<div class="empty">
              ${this._t(this._threads.length ? "no_match" : "no_threads")}
            </div>`}
      </div>
    `;
  }

  private _renderRow(thread: ThreadSummary): TemplateResult {
    const name = thread.name ?? thread.number;
    const last = thread.last;
    const state = last.direction === "outgoing" ? tick(last.status) : null;
    return html`
      <button
        class="row ${thread.unread ? "unread" : ""}"
        role="listitem"
        data-number=${thread.number}
        @click=${() => this._openThread(thread.number)}
      >
        <span class="avatar" aria-hidden="true">${initial(name)}</span>
        <span class="summary">
          <span class="line">
            <span class="name">${name}</span>
            <span class="time">${this._time(last.at)}</span>
          </span>
          <span class="line">
            <span class="preview">
              ${state
                ? html`<ha-icon class="tick ${state}" icon=${TICK_ICONS[state]}></ha-icon>`
                : nothing}${last.text}
            </span>
            ${thread.unread
              ? html`<span
                  class="badge"
                  data-unread=${thread.unread}
                  title=${this._t("unread", { count: thread.unread })}
                  >${thread.unread}</span
                >`
              : nothing}
          </span>
        </span>
      </button>
    `;
  }

  private _renderThread(open: ThreadPage): TemplateResult {
    const counted = segments(this._draft);
    const phones = this._entry?.phones ?? [];
    return html`
      <div class="header">
        <button class="icon" title=${this._t("back")} @click=${() => (this._open = undefined)}>
          <ha-icon icon="mdi:arrow-left"></ha-icon>
        </button>
        <div class="title thread-title">
          <span>${open.name ?? open.number}</span>
          ${open.name ? html`<span class="number">${open.number}</span>` : nothing}
        </div>
        <button class="icon" title=${this._t("delete_thread")} @click=${this._delete}>
          <ha-icon icon="mdi:delete-outline"></ha-icon>
        </button>
      </div>
      <div class="messages">
        ${open.messages.map((message) => this._renderBubble(message))}
        ${open.more
          ? html`<button class="older" @click=${this._older}>${this._t("load_older")}</button>`
          : nothing}
      </div>
      <div class="compose">
        ${phones.length > 1
          ? html`<label class="from">
              ${this._t("send_from")}
              <select
                @change=${(ev: Event) => (this._phone = (ev.target as HTMLSelectElement).value)}
              >
                <option value="" ?selected=${!this._phone}>
                  ${this._phoneName(this._replyPhone(open)) ?? this._t("gateway_choice")}
                </option>
                ${phones.map(
                  (phone) =>
                    html`<option value=${phone.id} ?selected=${phone.id === this._phone}>
                      ${phone.name}
                    </option>`,
                )}
              </select>
            </label>`
          : nothing}
        <div class="reply">
          <textarea
            rows="2"
            .value=${this._draft}
            placeholder=${this._t("reply")}
            aria-label=${this._t("reply")}
            @input=${(ev: Event) => (this._draft = (ev.target as HTMLTextAreaElement).value)}
            @keydown=${(ev: KeyboardEvent) => {
              if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) void this._send();
            }}
          ></textarea>
          <button
            class="send"
            title=${this._t("send")}
            ?disabled=${this._sending || !this._draft.trim()}
            @click=${this._send}
          >
            <ha-icon icon="mdi:send"></ha-icon>
          </button>
        </div>
        <div class="counter">
          ${this._t("counter", {
            characters: counted.characters,
            parts: counted.parts,
            encoding: this._t(counted.encoding === "gsm7" ? "encoding_gsm7" : "encoding_ucs2"),
          })}
        </div>
        ${this._sendError
          ? html`<div class="send-error" role="alert">
              ${this._t("send_failed", { error: this._sendError })}
            </div>`
          : nothing}
      </div>
    `;
  }

  private _renderBubble(message: InboxMessage): TemplateResult {
    const state = message.direction === "outgoing" ? tick(message.status) : null;
    const phone = this._phoneName(message.phone_id);
    const details = [
      this._time(message.at),
      phone ? this._t("via", { phone }) : null,
      message.sim ? this._t("sim", { sim: message.sim }) : null,
    ].filter(Boolean);
    return html`
      <div class="bubble ${message.direction}" data-status=${message.status}>
        <div class="text">${message.text}</div>
        ${message.attachments.map(
          (url) => html`<a class="attachment" href=${url} target="_blank" rel="noreferrer"
            >${url}</a
          >`,
        )}
        <div class="meta">
          <span>${details.join(" · ")}</span>
          ${state
            ? html`<ha-icon
                class="tick ${state}"
                data-tick=${state}
                title=${this._t(`status_${state}` as Key)}
                icon=${TICK_ICONS[state]}
              ></ha-icon>`
            : nothing}
        </div>
      </div>
    `;
  }

  static override styles = css`
    :host {
      --sms-bubble-in: var(--secondary-background-color, #f1f1f1);
      --sms-bubble-out: var(--primary-color, #03a9f4);
      --sms-bubble-out-text: var(--text-primary-color, #fff);
    }
    ha-card {
      display: flex;
      flex-direction: column;
      overflow: hidden;
      box-sizing: border-box;
    }
    button {
      font: inherit;
      color: inherit;
      background: none;
      border: none;
      cursor: pointer;
    }
    .header {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 12px 16px 8px;
      border-bottom: 1px solid var(--divider-color);
    }
    .title {
      flex: 1;
      font-size: 1.2em;
      font-weight: 500;
      display: flex;
      align-items: center;
      gap: 8px;
      min-width: 0;
    }
    .thread-title {
      flex-direction: column;
      align-items: flex-start;
      gap: 0;
    }
    .thread-title .number {
      font-size: 0.7em;
      color: var(--secondary-text-color);
    }
    .icon {
      padding: 4px;
      border-radius: 50%;
      color: var(--secondary-text-color);
    }
    .icon:hover {
      background: var(--secondary-background-color);
    }
    select,
    input,
    textarea {
      font: inherit;
      color: var(--primary-text-color);
      background: var(--card-background-color, var(--ha-card-background));
      border: 1px solid var(--divider-color);
      border-radius: 8px;
    }
    select {
      padding: 4px 8px;
    }
    .search {
      display: flex;
      align-items: center;
      gap: 8px;
      margin: 8px 16px;
      padding: 0 8px;
      border: 1px solid var(--divider-color);
      border-radius: 18px;
      color: var(--secondary-text-color);
    }
    .search input {
      flex: 1;
      border: none;
      padding: 8px 0;
      background: transparent;
      outline: none;
    }
    .threads,
    .messages {
      flex: 1;
      overflow-y: auto;
    }
    .row {
      display: flex;
      width: 100%;
      gap: 12px;
      padding: 10px 16px;
      text-align: start;
      align-items: center;
    }
    .row:hover {
      background: var(--secondary-background-color);
    }
    .avatar {
      flex: none;
      width: 40px;
      height: 40px;
      border-radius: 50%;
      display: grid;
      place-items: center;
      background: var(--primary-color);
      color: var(--text-primary-color, #fff);
      font-weight: 500;
    }
    .summary {
      flex: 1;
      min-width: 0;
      display: flex;
      flex-direction: column;
      gap: 2px;
    }
    .line {
      display: flex;
      align-items: center;
      gap: 8px;
      justify-content: space-between;
    }
    .name,
    .preview {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .preview {
      color: var(--secondary-text-color);
    }
    .unread .name,
    .unread .preview {
      font-weight: 600;
      color: var(--primary-text-color);
    }
    .time {
      flex: none;
      font-size: 0.8em;
      color: var(--secondary-text-color);
    }
    .badge {
      flex: none;
      min-width: 20px;
      padding: 0 6px;
      border-radius: 10px;
      background: var(--accent-color, var(--primary-color));
      color: var(--text-accent-color, var(--text-primary-color, #fff));
      font-size: 0.8em;
      line-height: 20px;
      text-align: center;
      box-sizing: border-box;
    }
    .empty,
    .problem {
      padding: 24px 16px;
      color: var(--secondary-text-color);
      text-align: center;
    }
    .problem {
      margin: auto;
    }
    .messages {
      display: flex;
      flex-direction: column-reverse;
      gap: 6px;
      padding: 12px 16px;
    }
    .bubble {
      max-width: 78%;
      padding: 8px 12px;
      border-radius: 16px;
      overflow-wrap: anywhere;
    }
    .text {
      white-space: pre-wrap;
    }
    .bubble.incoming {
      align-self: flex-start;
      background: var(--sms-bubble-in);
      color: var(--primary-text-color);
      border-bottom-left-radius: 4px;
    }
    .bubble.outgoing {
      align-self: flex-end;
      background: var(--sms-bubble-out);
      color: var(--sms-bubble-out-text);
      border-bottom-right-radius: 4px;
    }
    .meta {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: 4px;
      margin-top: 2px;
      font-size: 0.72em;
      opacity: 0.8;
    }
    .tick {
      --mdc-icon-size: 16px;
    }
    .preview .tick {
      margin-inline-end: 4px;
      vertical-align: middle;
    }
    .tick.failed {
      color: var(--error-color, #db4437);
    }
    .bubble.outgoing .tick.failed {
      color: var(--sms-bubble-out-text);
    }
    .attachment {
      display: block;
      color: inherit;
    }
    .older {
      align-self: center;
      color: var(--primary-color);
      padding: 6px;
    }
    .compose {
      border-top: 1px solid var(--divider-color);
      padding: 8px 16px 10px;
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .from {
      font-size: 0.85em;
      color: var(--secondary-text-color);
      display: flex;
      gap: 8px;
      align-items: center;
    }
    .reply {
      display: flex;
      gap: 8px;
      align-items: flex-end;
    }
    textarea {
      flex: 1;
      resize: none;
      padding: 8px 10px;
    }
    .send {
      color: var(--primary-color);
      padding: 8px;
    }
    .send[disabled] {
      color: var(--disabled-text-color, #bdbdbd);
      cursor: default;
    }
    .counter {
      font-size: 0.75em;
      color: var(--secondary-text-color);
    }
    .send-error {
      font-size: 0.85em;
      color: var(--error-color, #db4437);
    }
  `;
}

function initial(name: string): string {
  const letter = Array.from(name.replace(/^\+/, "").trim())[0] ?? "?";
  return /\d/.test(letter) ? "#" : letter.toUpperCase();
}

function define(): void {
  if (customElements.get("sms-bridge-inbox-card")) return;
  customElements.define("sms-bridge-inbox-card-editor", SmsBridgeInboxCardEditor);
  customElements.define("sms-bridge-inbox-card", SmsBridgeInboxCard);
}

// Loaded with the frontend (an extra module), this file can run before Home Assistant's app,
// which installs a polyfill of scoped element registries: an element defined before it is
// lost to the frontend. So on the frontend's page, define once the app defined its root.
if (document.querySelector("home-assistant") && !customElements.get("home-assistant")) {
  void customElements.whenDefined("home-assistant").then(define);
} else {
  define();
}

const cards = ((window as unknown as { customCards?: { type: string }[] }).customCards ??= []);
if (!cards.some((card) => card.type === "sms-bridge-inbox-card")) {
  cards.push({
    type: "sms-bridge-inbox-card",
    name: localize(undefined, "card_name"),
    description: localize(undefined, "card_description"),
    preview: false,
    documentationURL: "https://github.com/sms-bridge/ha-sms-bridge#inbox",
  } as { type: string });
}
