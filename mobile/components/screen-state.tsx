/** What a screen shows instead of (or above) its data: loading, offline, error, empty. */
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';

import { AuthExpiredError, errorMessage, isOffline } from '@/lib/api';

import { Button } from './button';
import { colors, space } from './theme';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <View style={styles.center} testID="loading">
      <ActivityIndicator color={colors.primary} />
      <Text style={styles.muted}>{label}</Text>
    </View>
  );
}

/** Full-screen error when there is nothing to show; `retry` re-runs the load. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const offline = isOffline(error);
  return (
    <View style={styles.center} testID={offline ? 'offline-state' : 'error-state'}>
      <Text style={styles.title}>{offline ? 'You are offline' : 'Could not load this'}</Text>
      <Text style={styles.muted}>{offline ? 'Cannot reach the server. Check your connection, then pull down or retry.' : errorMessage(error)}</Text>
      {retry != null && !(error instanceof AuthExpiredError) ? (
        <View style={styles.retry}>
          <Button title="Retry" variant="secondary" onPress={retry} testID="retry" />
        </View>
      ) : null}
    </View>
  );
}

/** A slim notice above data that is still shown (loaded before the error). */
export function InlineError({ error, testID = 'inline-error' }: { error: unknown; testID?: string }) {
  if (error == null) return null;
  const offline = isOffline(error);
  return (
    <View style={[styles.banner, offline ? styles.offline : styles.failed]} testID={offline ? 'offline-notice' : testID} accessibilityRole="alert">
      <Text style={offline ? styles.offlineText : styles.failedText}>
        {offline ? 'Offline: showing the last data loaded. Pull down to retry.' : errorMessage(error)}
      </Text>
    </View>
  );
}

export function Empty({ title, body, testID = 'empty' }: { title: string; body?: string; testID?: string }) {
  return (
    <View style={styles.center} testID={testID}>
      <Text style={styles.title}>{title}</Text>
      {body != null ? <Text style={styles.muted}>{body}</Text> : null}
    </View>
  );
}

const styles = StyleSheet.create({
  center: { flexGrow: 1, alignItems: 'center', justifyContent: 'center', padding: space.xl, gap: space.sm },
  title: { fontSize: 18, fontWeight: '600', color: colors.text, textAlign: 'center' },
  muted: { color: colors.muted, textAlign: 'center' },
  retry: { marginTop: space.md, minWidth: 140 },
  banner: { padding: space.md, borderRadius: 8, marginBottom: space.md },
  offline: { backgroundColor: colors.warnBg },
  failed: { backgroundColor: colors.dangerBg },
  offlineText: { color: colors.warn },
  failedText: { color: colors.danger },
});
