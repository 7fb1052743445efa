/**
 * One live-updates WebSocket per signed-in app (ws://host/ws/updates?token=<access>), kept
 * open while the (app) screens are mounted: reconnects with backoff, gets a fresh access
 * token for every (re)connect (the server closes with 4401 on a bad or expired token), and
 * treats a silent socket as dead (the server sends a heartbeat every 15 s).
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

import { AuthExpiredError, type ApiClient, type LiveEvent } from './api';

export type LiveState = 'connecting' | 'open' | 'offline';
type EventListener = (event: LiveEvent) => void;
type StateListener = (state: LiveState) => void;

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000, 15000];
const SILENCE_MS = 40000; // > 2 heartbeats

export class LiveConnection {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private events = new Set<EventListener>();
  private states = new Set<StateListener>();
  state: LiveState = 'offline';

  constructor(private readonly api: ApiClient) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket != null) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.close();
    }
    this.setState('offline');
  }

  /** Reconnect now (pull to refresh, app back in the foreground). */
  reconnect(): void {
    if (this.stopped) return;
    if (this.state === 'open') return;
    this.attempts = 0;
    this.clearTimers();
    void this.connect();
  }

  onEvent(listener: EventListener): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.states.add(listener);
    return () => this.states.delete(listener);
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.states) listener(state);
  }

  private clearTimers(): void {
    if (this.retryTimer != null) clearTimeout(this.retryTimer);
    if (this.silenceTimer != null) clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }

  private armSilenceTimer(socket: WebSocket): void {
    if (this.silenceTimer != null) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => socket.close(), SILENCE_MS);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const previous = this.socket;
    if (previous != null) {
      previous.onclose = null;
      previous.close();
      this.socket = null;
    }
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = await this.api.openLiveSocket();
    } catch (error) {
      if (error instanceof AuthExpiredError) return this.stop(); // the auth guard signs out
      return this.scheduleRetry();
    }
    if (this.stopped) {
      socket.close();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setState('open');
      this.armSilenceTimer(socket);
    };
    socket.onmessage = (message: MessageEvent) => {
      this.armSilenceTimer(socket);
      let event: LiveEvent;
      try {
        event = JSON.parse(String(message.data)) as LiveEvent;
      } catch {
        return;
      }
      for (const listener of this.events) listener(event);
    };
    socket.onerror = () => {
      // onclose follows and schedules the retry
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.silenceTimer != null) clearTimeout(this.silenceTimer);
      if (this.stopped) return;
      if (event.code === 4401) {
        // Token refused: force a refresh before the next attempt (ends the session if dead).
        this.api.refresh().then(
          () => this.scheduleRetry(),
          (error: unknown) => (error instanceof AuthExpiredError ? this.stop() : this.scheduleRetry()),
        );
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.setState('offline');
    const delay = BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length - 1)];
    this.attempts += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}

const LiveContext = createContext<LiveConnection | null>(null);

export function LiveProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [connection] = useState(() => new LiveConnection(api));
  useEffect(() => {
    connection.start();
    return () => connection.stop();
  }, [connection]);
  return <LiveContext.Provider value={connection}>{children}</LiveContext.Provider>;
}

export function useLiveConnection(): LiveConnection | null {
  return useContext(LiveContext);
}

/** Calls `handler` for every live event while the component is mounted. */
export function useLiveEvents(handler: EventListener): void {
  const connection = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (connection == null) return undefined;
    return connection.onEvent((event) => ref.current(event));
  }, [connection]);
}

export function useLiveState(): LiveState {
  const connection = useContext(LiveContext);
  const [state, setState] = useState<LiveState>(connection?.state ?? 'offline');
  useEffect(() => {
    if (connection == null) return undefined;
    setState(connection.state);
    return connection.onState(setState);
  }, [connection]);
  return state;
}
