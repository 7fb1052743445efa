/** Signed-in area: live updates socket, offline bar, and the tabs. */
import { Redirect } from 'expo-router';
import { Tabs } from 'expo-router/js-tabs';
import { StyleSheet, View } from 'react-native';
import { SafeAreaView } from 'react-native-safe-area-context';

import { OfflineBanner } from '@/components/offline-banner';
import { colors } from '@/components/theme';
import { useAuth } from '@/lib/auth';
import { LiveProvider } from '@/lib/live';

export default function AppLayout() {
  const { status, api } = useAuth();
  // Stack.Protected in the root layout already keeps signed-out users out; this also covers
  // the moment a session expires while a screen of this group is open.
  if (status !== 'signed-in') return <Redirect href="/sign-in" />;
  return (
    <LiveProvider api={api}>
      <SafeAreaView edges={['top']} style={styles.top}>
        <OfflineBanner />
      </SafeAreaView>
      <View style={styles.flex}>
        <Tabs
          screenOptions={{
            tabBarActiveTintColor: colors.primary,
            tabBarIcon: () => null,
            tabBarIconStyle: { display: 'none' },
            tabBarLabelStyle: { fontSize: 12, fontWeight: '600' },
            tabBarLabelPosition: 'below-icon',
          }}
        >
          <Tabs.Screen name="strategies" options={{ title: 'Strategies', headerShown: false, tabBarButtonTestID: 'tab-strategies' }} />
          <Tabs.Screen name="positions" options={{ title: 'Positions', tabBarButtonTestID: 'tab-positions' }} />
          <Tabs.Screen name="notifications" options={{ title: 'Alerts', tabBarButtonTestID: 'tab-notifications' }} />
          <Tabs.Screen name="broker" options={{ title: 'Broker', tabBarButtonTestID: 'tab-broker' }} />
          <Tabs.Screen name="account" options={{ title: 'Account', tabBarButtonTestID: 'tab-account' }} />
          <Tabs.Screen name="broker-callback" options={{ title: 'Broker login', href: null }} />
        </Tabs>
      </View>
    </LiveProvider>
  );
}

const styles = StyleSheet.create({
  top: { backgroundColor: colors.card },
  flex: { flex: 1 },
});
