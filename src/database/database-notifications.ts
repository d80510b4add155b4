import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

const RECONNECT_DELAY_MS = 1000;

export type NotificationHandler = (payload: string) => void;

/**
 * PostgreSQL LISTEN on a connection of its own (a pooled one would lose its LISTEN when handed
 * back). The connection is re-established after a failure; `onReconnect` runs then, because
 * notifications sent while it was down are gone and the listener must catch up another way.
 */
@Injectable()
export class DatabaseNotifications implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseNotifications.name);
  private readonly clients = new Set<Client>();
  private closed = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Starts listening; resolves once the first LISTEN is in place (or has failed, logged). */
  async listen(
    channel: string,
    onNotify: NotificationHandler,
    onReconnect: () => void,
  ): Promise<void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
    await this.connect(channel, onNotify, onReconnect, false);
  }

  private async connect(
    channel: string,
    onNotify: NotificationHandler,
    onReconnect: () => void,
    isReconnect: boolean,
  ): Promise<void> {
    if (this.closed) return;
    const { url } = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: url,
      application_name: 'gatehouse-listen',
    });
    let retried = false;
    const retry = () => {
      if (retried || this.closed) return;
      retried = true;
      this.clients.delete(client);
      void client.end().catch(() => undefined);
      setTimeout(
        () => void this.connect(channel, onNotify, onReconnect, true),
        RECONNECT_DELAY_MS,
      ).unref();
    };
    client.on('error', (error: Error) => {
      this.logger.warn(`LISTEN ${channel} connection failed, reconnecting: ${error.message}`);
      retry();
    });
    client.on('end', retry);
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    this.clients.add(client);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (isReconnect) onReconnect();
    } catch (error) {
      this.logger.warn(`LISTEN ${channel} failed, retrying: ${(error as Error).message}`);
      retry();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
