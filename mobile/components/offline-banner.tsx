/** A bar on every signed-in screen while the device has no network or the live feed is down. */
import { useNetInfo } from '@react-native-community/netinfo';
import { StyleSheet, Text, View } from 'react-native';

import { useLiveState } from '@/lib/live';

import { colors, space } from './theme';

export function OfflineBanner() {
  const net = useNetInfo();
  const live = useLiveState();
  if (net.isConnected === false) {
    return (
      <View style={[styles.bar, styles.offline]} testID="offline-banner" accessibilityRole="alert">
        <Text style={styles.offlineText}>No internet connection. Data may be out of date.</Text>
      </View>
    );
  }
  if (live === 'offline') {
    return (
      <View style={[styles.bar, styles.reconnecting]} testID="live-reconnecting">
        <Text style={styles.reconnectingText}>Live updates disconnected. Reconnecting…</Text>
      </View>
    );
  }
  return null;
}

const styles = StyleSheet.create({
  bar: { paddingVertical: space.xs, paddingHorizontal: space.md },
  offline: { backgroundColor: colors.danger },
  offlineText: { color: '#fff', textAlign: 'center', fontSize: 13 },
  reconnecting: { backgroundColor: colors.warnBg },
  reconnectingText: { color: colors.warn, textAlign: 'center', fontSize: 13 },
});
