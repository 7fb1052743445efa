import { useFocusEffect } from 'expo-router';
import { useCallback, useRef, useState } from 'react';
import { FlatList, Pressable, RefreshControl, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { Empty, ErrorState, InlineError, Loading } from '@/components/screen-state';
import { colors, space } from '@/components/theme';
import { errorMessage, type Notification } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { istDateTime } from '@/lib/format';
import { useLiveEvents } from '@/lib/live';
import { useResource } from '@/lib/use-resource';

export default function NotificationsScreen() {
  const api = useApi();
  const page = useResource(() => api.notifications(), [api]);
  const [actionError, setActionError] = useState<string | null>(null);
  const first = useRef(true);

  useFocusEffect(
    useCallback(() => {
      if (first.current) first.current = false;
      else void page.reload();
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []),
  );

  // Fills, stop-loss exits, stops and broker-login reminders arrive as they are written.
  useLiveEvents((event) => {
    if (event.type === 'notification') void page.reload();
  });

  async function markRead(note: Notification) {
    if (note.read_at != null) return;
    setActionError(null);
    try {
      const updated = await api.markNotificationRead(note.id);
      page.setData((p) =>
        p == null ? p : { ...p, unread: Math.max(0, p.unread - 1), results: p.results.map((n) => (n.id === updated.id ? updated : n)) },
      );
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  async function markAll() {
    setActionError(null);
    try {
      await api.markAllNotificationsRead();
      await page.reload();
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  if (page.loading && page.data === undefined) return <Loading />;
  if (page.data === undefined) return <ErrorState error={page.error} retry={page.refresh} />;
  const p = page.data;

  return (
    <FlatList
      testID="notifications"
      style={styles.flex}
      contentContainerStyle={styles.body}
      data={p.results}
      keyExtractor={(n) => String(n.id)}
      refreshControl={<RefreshControl refreshing={page.refreshing} onRefresh={page.refresh} />}
      ListHeaderComponent={
        <View style={styles.header}>
          <InlineError error={page.error} />
          <View style={styles.between}>
            <Text style={styles.muted} testID="unread-count">
              {p.unread} unread of {p.count}
            </Text>
            {p.unread > 0 ? <Button title="Mark all read" variant="secondary" onPress={markAll} testID="mark-all-read" /> : null}
          </View>
          {actionError != null ? <Text style={styles.error}>{actionError}</Text> : null}
        </View>
      }
      ListEmptyComponent={<Empty title="No notifications" body="Fills, stop-loss exits and broker login reminders show up here." />}
      renderItem={({ item }) => (
        <Pressable
          onPress={() => markRead(item)}
          testID={`notification-${item.id}`}
          accessibilityRole="button"
          accessibilityState={{ selected: item.read_at == null }}
          style={[styles.row, item.read_at == null && styles.unread]}
        >
          <Text style={styles.title}>{item.title}</Text>
          {item.body ? <Text style={styles.text}>{item.body}</Text> : null}
          <Text style={styles.muted}>{istDateTime(item.created_at)}</Text>
        </Pressable>
      )}
    />
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, flexGrow: 1 },
  header: { gap: space.sm },
  between: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center' },
  row: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, gap: space.xs },
  unread: { borderLeftWidth: 4, borderLeftColor: colors.primary },
  title: { fontSize: 16, fontWeight: '600', color: colors.text },
  text: { color: colors.text },
  muted: { color: colors.muted, fontSize: 13 },
  error: { color: colors.danger },
});
