"use client";

import { create } from "zustand";

import { type LiveEvent, type LiveState, applyEvent, emptyLiveState } from "@/lib/live";

export type Connection = "connecting" | "open" | "error";

interface LiveStore extends LiveState {
  connection: Connection;
  setConnection: (c: Connection) => void;
  apply: (e: LiveEvent) => void;
  reset: () => void;
}

export const useLiveStore = create<LiveStore>((set) => ({
  ...emptyLiveState,
  connection: "connecting",
  setConnection: (connection) => set({ connection }),
  apply: (e) => set((s) => applyEvent(s, e)),
  reset: () => set({ ...emptyLiveState, connection: "connecting" }),
}));
