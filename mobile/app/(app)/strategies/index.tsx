import { router, useFocusEffect } from 'expo-router';
import { useCallback, useRef } from 'react';
import { FlatList, Pressable, RefreshControl, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { Empty, ErrorState, InlineError, Loading } from '@/components/screen-state';
import { StatusBadge } from '@/components/status-badge';
import { colors, space } from '@/components/theme';
import type { Strategy } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { useLiveEvents } from '@/lib/live';
import { useResource } from '@/lib/use-resource';

export default function StrategiesScreen() {
  const api = useApi();
  const list = useResource(() => api.strategies(), [api]);
  const first = useRef(true);

  useFocusEffect(
    useCallback(() => {
      if (first.current) first.current = false;
      else void list.reload(); // back from the creator or a detail screen
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []),
  );

  useLiveEvents((event) => {
    if (event.type === 'strategy') {
      list.setData((rows) => rows?.map((s) => (s.id === event.id ? { ...s, status: event.status, status_reason: event.reason } : s)));
    }
  });

  if (list.loading && list.data === undefined) return <Loading />;
  if (list.data === undefined) return <ErrorState error={list.error} retry={list.refresh} />;

  return (
    <FlatList
      testID="strategy-list"
      style={styles.flex}
      contentContainerStyle={styles.body}
      data={list.data}
      keyExtractor={(s) => String(s.id)}
      refreshControl={<RefreshControl refreshing={list.refreshing} onRefresh={list.refresh} />}
      ListHeaderComponent={
        <View>
          <InlineError error={list.error} />
          <Button title="New strategy" onPress={() => router.push('/strategies/new')} testID="new-strategy" />
        </View>
      }
      ListEmptyComponent={<Empty title="No strategies yet" body="Create one: a symbol, a buy time, a sell time and a stop-loss." />}
      renderItem={({ item }) => <StrategyRow strategy={item} />}
    />
  );
}

function StrategyRow({ strategy: s }: { strategy: Strategy }) {
  return (
    <Pressable
      testID={`strategy-${s.id}`}
      accessibilityRole="button"
      accessibilityLabel={`${s.name}, ${s.symbol}, ${s.status}`}
      onPress={() => router.push(`/strategies/${s.id}`)}
      style={({ pressed }) => [styles.row, pressed && styles.pressed]}
    >
      <View style={styles.rowTop}>
        <Text style={styles.name}>{s.name}</Text>
        <StatusBadge value={s.status} />
      </View>
      <Text style={styles.detail}>
        {s.symbol} · {s.exchange} · {s.quantity} qty · {s.product}
      </Text>
      <Text style={styles.detail}>
        Buy {s.buy_time} · Sell {s.sell_time} · SL ₹{s.stop_loss}
      </Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, flexGrow: 1 },
  row: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, marginTop: space.md },
  pressed: { opacity: 0.7 },
  rowTop: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', marginBottom: space.xs },
  name: { fontSize: 17, fontWeight: '600', color: colors.text, flexShrink: 1 },
  detail: { color: colors.muted, marginTop: 2 },
});
