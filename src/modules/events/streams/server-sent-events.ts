import { eventMessage, PublishedEvent } from '../domain-event';

/**
 * One event as a Server-Sent Events message: its position as the `id` the client resumes from,
 * its type as the `event` name, and the envelope every channel sends (webhooks, Redis) as
 * `data`. JSON.stringify never writes a line break, so the data is one line.
 */
export function sseEvent(event: PublishedEvent): string {
  return `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(eventMessage(event))}\n\n`;
}

/** A control message of the stream itself (not a catalogue event), with the id to resume from. */
export function sseControl(name: string, id: number, data: object): string {
  return `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by clients, it keeps the connection alive or says why it ends. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}
