"use client";

import { create } from "zustand";

/** Client-only UI state: the sidebar on small screens, toasts. */
interface Toast {
  id: number;
  kind: "success" | "error" | "info";
  text: string;
}

interface UiStore {
  sidebarOpen: boolean;
  toggleSidebar: (open?: boolean) => void;
  toasts: Toast[];
  toast: (kind: Toast["kind"], text: string) => void;
  dismiss: (id: number) => void;
}

let seq = 0;

export const useUiStore = create<UiStore>()((set) => ({
  sidebarOpen: false,
  toggleSidebar: (open) => set((s) => ({ sidebarOpen: open ?? !s.sidebarOpen })),
  toasts: [],
  toast: (kind, text) => {
    const id = ++seq;
    set((s) => ({ toasts: [...s.toasts, { id, kind, text }] }));
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), 5000);
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));
