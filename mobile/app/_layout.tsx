/**
 * Root: auth state for the whole app; the (app) group is reachable only when signed in and
 * the (auth) group only when signed out (Stack.Protected: a guarded-off route redirects).
 */
import { Stack } from 'expo-router';
import * as WebBrowser from 'expo-web-browser';
import { StatusBar } from 'expo-status-bar';
import type { ReactNode } from 'react';
import { SafeAreaProvider } from 'react-native-safe-area-context';

import { Loading } from '@/components/screen-state';
import { AuthProvider, useAuth } from '@/lib/auth';
import { api } from '@/lib/client';

// Web: a broker login opened in a popup by openAuthSessionAsync() lands back on this app;
// this hands its URL to the opener and closes the popup (a no-op everywhere else).
WebBrowser.maybeCompleteAuthSession();

function AppProviders({ children }: { children: ReactNode }) {
  return (
    <SafeAreaProvider>
      <AuthProvider api={api}>{children}</AuthProvider>
    </SafeAreaProvider>
  );
}

function RootNavigator() {
  const { status } = useAuth();
  if (status === 'loading') return <Loading label="Starting…" />;
  const signedIn = status === 'signed-in';
  return (
    <Stack screenOptions={{ headerShown: false }}>
      <Stack.Protected guard={signedIn}>
        <Stack.Screen name="(app)" />
      </Stack.Protected>
      <Stack.Protected guard={!signedIn}>
        <Stack.Screen name="(auth)" />
      </Stack.Protected>
    </Stack>
  );
}

export default function RootLayout() {
  return (
    <AppProviders>
      <StatusBar style="dark" />
      <RootNavigator />
    </AppProviders>
  );
}
