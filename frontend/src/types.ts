// What the card uses of Home Assistant's frontend and of the inbox's websocket API.

export interface HassConnection {
  sendMessagePromise<T>(message: Record<string, unknown>): Promise<T>;
  subscribeMessage<T>(
    callback: (event: T) => void,
    message: Record<string, unknown>,
  ): Promise<() => Promise<void>>;
}

export interface HomeAssistant {
  connection: HassConnection;
  language: string;
  locale?: { language: string };
  callService(
    domain: string,
    service: string,
    data?: Record<string, unknown>,
    target?: Record<string, unknown>,
    notifyOnError?: boolean,
    returnResponse?: boolean,
  ): Promise<unknown>;
}

export interface CardConfig {
  type: string;
  entry_id?: string;
  phone?: string;
  height?: number;
}

export interface Phone {
  id: string;
  name: string;
}

export interface InboxEntry {
  entry_id: string;
  title: string;
  unread: number;
  phones: Phone[];
}

export type Direction = "incoming" | "outgoing";

export interface InboxMessage {
  id: string;
  number: string;
  direction: Direction;
  text: string;
  at: string;
  status: string;
  read: boolean;
  message_id: string | null;
  phone_id: string | null;
  sim: number | null;
  parts: number;
  attachments: string[];
}

export interface ThreadSummary {
  number: string;
  name: string | null;
  unread: number;
  count: number;
  last: InboxMessage;
}

export interface ThreadPage {
  number: string;
  name: string | null;
  messages: InboxMessage[];
  more: boolean;
}

export type InboxEvent =
  | { event: "message"; message: InboxMessage; thread?: ThreadSummary }
  | { event: "status"; message: InboxMessage }
  | { event: "read"; number: string | null }
  | { event: "deleted"; number: string }
  | { event: "closed" };
