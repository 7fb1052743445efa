/** Today's positions and P&L (GET /api/dashboard); open positions re-priced from live ticks. */
import { useFocusEffect } from 'expo-router';
import { useCallback, useRef } from 'react';
import { FlatList, RefreshControl, StyleSheet, Text, View } from 'react-native';

import { Empty, ErrorState, InlineError, Loading } from '@/components/screen-state';
import { StatusBadge } from '@/components/status-badge';
import { colors, space } from '@/components/theme';
import type { Position } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { money, signedMoney } from '@/lib/format';
import { useLiveEvents } from '@/lib/live';
import { repriced } from '@/lib/pnl';
import { useResource } from '@/lib/use-resource';

export default function PositionsScreen() {
  const api = useApi();
  const board = useResource(() => api.dashboard(), [api]);
  const first = useRef(true);

  useFocusEffect(
    useCallback(() => {
      if (first.current) first.current = false;
      else void board.reload();
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []),
  );

  useLiveEvents((event) => {
    if (event.type === 'prices') board.setData((d) => (d == null ? d : repriced(d, event.prices)));
    else if (event.type === 'order' && event.status === 'FILLED') void board.reload();
  });

  if (board.loading && board.data === undefined) return <Loading />;
  if (board.data === undefined) return <ErrorState error={board.error} retry={board.refresh} />;
  const d = board.data;

  return (
    <FlatList
      testID="positions"
      style={styles.flex}
      contentContainerStyle={styles.body}
      data={d.positions}
      keyExtractor={(p) => String(p.strategy)}
      refreshControl={<RefreshControl refreshing={board.refreshing} onRefresh={board.refresh} />}
      ListHeaderComponent={
        <View>
          <InlineError error={board.error} />
          <View style={styles.totals}>
            <Total label="Unrealised" value={d.unrealised_total} testID="unrealised-total" />
            <Total label={`Realised (${d.realised.start === d.realised.end ? 'today' : `${d.realised.start} – ${d.realised.end}`})`} value={d.realised.total} testID="realised-total" />
          </View>
          <Text style={styles.section}>Positions · {d.trading_day}</Text>
        </View>
      }
      ListEmptyComponent={<Empty title="No positions today" body="Positions appear here once a strategy buys." testID="no-positions" />}
      renderItem={({ item }) => <PositionRow p={item} />}
    />
  );
}

function Total({ label, value, testID }: { label: string; value: string; testID: string }) {
  const n = Number(value);
  return (
    <View style={styles.total}>
      <Text style={styles.muted}>{label}</Text>
      <Text testID={testID} style={[styles.totalValue, n > 0 ? styles.up : n < 0 ? styles.down : null]}>
        {signedMoney(value)}
      </Text>
    </View>
  );
}

function PositionRow({ p }: { p: Position }) {
  const pnl = p.position === 'LONG' ? p.unrealised_pnl : p.realised_pnl;
  const n = Number(pnl ?? 0);
  return (
    <View style={styles.row} testID={`position-${p.strategy}`}>
      <View style={styles.between}>
        <Text style={styles.name}>
          {p.symbol} · {p.name}
        </Text>
        <StatusBadge value={p.position} />
      </View>
      <View style={styles.between}>
        <Text style={styles.muted}>
          {p.quantity} held · entry {money(p.entry_price)}
          {p.exit_price != null ? ` · exit ${money(p.exit_price)}` : ''} · last {money(p.last_price)}
        </Text>
        <Text style={[styles.pnl, n > 0 ? styles.up : n < 0 ? styles.down : null]}>{signedMoney(pnl)}</Text>
      </View>
      {p.exit_reason != null ? <Text style={styles.muted}>Exit: {p.exit_reason.replace('_', ' ').toLowerCase()}</Text> : null}
    </View>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, flexGrow: 1 },
  totals: { flexDirection: 'row', gap: space.md, marginBottom: space.md },
  total: { flex: 1, backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border },
  totalValue: { fontSize: 20, fontWeight: '700', color: colors.text, marginTop: space.xs },
  section: { fontSize: 16, fontWeight: '600', color: colors.text },
  row: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, gap: space.xs },
  between: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', gap: space.sm },
  name: { fontSize: 16, fontWeight: '600', color: colors.text, flexShrink: 1 },
  muted: { color: colors.muted, flexShrink: 1 },
  pnl: { fontWeight: '700', color: colors.text },
  up: { color: colors.ok },
  down: { color: colors.danger },
});
