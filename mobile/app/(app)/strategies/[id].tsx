/** Strategy detail: start/stop, live position, last order and last price over the WebSocket. */
import { Stack, useLocalSearchParams } from 'expo-router';
import { useRef, useState, type ReactNode } from 'react';
import { RefreshControl, ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { ErrorState, InlineError, Loading } from '@/components/screen-state';
import { StatusBadge } from '@/components/status-badge';
import { colors, space } from '@/components/theme';
import { errorMessage, type Order, type Strategy, type StrategyStatus } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { istDateTime, istTime, money, WEEKDAYS } from '@/lib/format';
import { useLiveEvents, useLiveState } from '@/lib/live';
import { applyOrderEvent } from '@/lib/position';
import { useResource } from '@/lib/use-resource';

type Detail = { strategy: Strategy; status: StrategyStatus; orders: Order[] };

export default function StrategyDetailScreen() {
  const { id: raw } = useLocalSearchParams<{ id: string }>();
  const id = Number(raw);
  const api = useApi();
  const live = useLiveState();
  const detail = useResource<Detail>(async () => {
    const [strategy, status, orders] = await Promise.all([api.strategy(id), api.strategyStatus(id), api.strategyOrders(id)]);
    return { strategy, status, orders };
  }, [api, id]);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Events arrive in bursts (an order goes NEW -> SUBMITTING -> FILLED within milliseconds):
  // show each at once, then confirm with one re-fetch shortly after the burst.
  function confirmSoon() {
    if (refetchTimer.current != null) clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => void detail.reload(), 400);
  }

  useLiveEvents((event) => {
    if (event.type === 'order' && event.strategy_id === id) {
      detail.setData((d) => (d == null ? d : { ...d, status: applyOrderEvent(d.status, event) }));
      confirmSoon();
    } else if (event.type === 'strategy' && event.id === id) {
      detail.setData((d) =>
        d == null
          ? d
          : {
              ...d,
              strategy: { ...d.strategy, status: event.status, status_reason: event.reason },
              status: { ...d.status, status: event.status, status_reason: event.reason },
            },
      );
      confirmSoon();
    } else if (event.type === 'prices') {
      detail.setData((d) => {
        const price = d == null ? undefined : event.prices[d.strategy.symbol];
        return d == null || price === undefined ? d : { ...d, status: { ...d.status, last_price: price } };
      });
    }
  });

  async function toggle(start: boolean) {
    setBusy(true);
    setActionError(null);
    try {
      const state = start ? await api.startStrategy(id) : await api.stopStrategy(id);
      detail.setData((d) =>
        d == null ? d : { ...d, strategy: { ...d.strategy, ...state }, status: { ...d.status, status: state.status, status_reason: state.status_reason } },
      );
      void detail.reload();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (detail.loading && detail.data === undefined) return <Loading />;
  if (detail.data === undefined) return <ErrorState error={detail.error} retry={detail.refresh} />;
  const { strategy: s, status, orders } = detail.data;
  const running = s.status === 'RUNNING';
  const last = status.last_order;
  // The status answer may lack the fill price the order list already has.
  const lastPrice = last == null ? null : (last.price ?? orders.find((o) => o.id === last.id)?.price ?? null);

  return (
    <ScrollView
      style={styles.flex}
      contentContainerStyle={styles.body}
      refreshControl={<RefreshControl refreshing={detail.refreshing} onRefresh={detail.refresh} />}
      testID="strategy-detail"
    >
      <Stack.Screen options={{ title: s.name }} />
      <InlineError error={detail.error} />
      <View style={styles.card}>
        <View style={styles.between}>
          <Text style={styles.title}>{s.name}</Text>
          <StatusBadge value={s.status} testID="strategy-status" />
        </View>
        <Text style={styles.muted}>
          {s.symbol} · {s.exchange} · {s.quantity} qty · {s.product}
        </Text>
        {s.status_reason ? (
          <Text style={styles.reason} testID="status-reason">
            {s.status_reason}
          </Text>
        ) : null}
        <View style={styles.actions}>
          {running ? (
            <Button title="Stop" variant="danger" onPress={() => toggle(false)} busy={busy} testID="stop-strategy" />
          ) : (
            <Button title="Start" onPress={() => toggle(true)} busy={busy} testID="start-strategy" />
          )}
        </View>
        {actionError != null ? (
          <Text style={styles.error} testID="action-error" accessibilityRole="alert">
            {actionError}
          </Text>
        ) : null}
      </View>

      <View style={styles.card}>
        <View style={styles.between}>
          <Text style={styles.section}>Today ({status.trading_day})</Text>
          <Text style={[styles.live, live === 'open' ? styles.liveOn : styles.liveOff]} testID="live-state">
            {live === 'open' ? '● Live' : live === 'connecting' ? '○ Connecting' : '○ Offline'}
          </Text>
        </View>
        <Row label="Position">
          <StatusBadge value={status.position} testID="position" />
        </Row>
        <Row label="Last order">
          <Text style={styles.value} testID="last-order">
            {last == null ? 'None yet' : `${last.side} ${last.status}${lastPrice != null ? ` @ ${money(lastPrice)}` : ''}`}
          </Text>
        </Row>
        <Row label="Last price">
          <Text style={styles.value} testID="last-price">
            {status.last_price == null ? '—' : money(status.last_price)}
          </Text>
        </Row>
        <Row label="Next">
          <Text style={styles.value} testID="next-trigger">
            {status.next_trigger == null ? '—' : `${status.next_trigger.leg === 'ENTRY' ? 'Buy' : 'Sell'} ${istDateTime(status.next_trigger.at)}`}
          </Text>
        </Row>
      </View>

      <View style={styles.card}>
        <Text style={styles.section}>Rule</Text>
        <Row label="Buy at">
          <Text style={styles.value}>{s.buy_time} IST</Text>
        </Row>
        <Row label="Sell at">
          <Text style={styles.value}>{s.sell_time} IST</Text>
        </Row>
        <Row label="Stop-loss">
          <Text style={styles.value}>{money(s.stop_loss)}</Text>
        </Row>
        <Row label="Days">
          <Text style={styles.value}>{s.days.map((d) => WEEKDAYS[d]).join(' ')}</Text>
        </Row>
      </View>

      <View style={styles.card}>
        <Text style={styles.section}>Orders</Text>
        {orders.length === 0 ? <Text style={styles.muted}>No orders yet.</Text> : null}
        {orders.map((o) => (
          <View key={o.id} style={styles.order} testID={`order-${o.id}`}>
            <View style={styles.between}>
              <Text style={styles.value}>
                {o.side} {o.quantity} · {o.reason.replace('_', ' ').toLowerCase()}
              </Text>
              <StatusBadge value={o.status} />
            </View>
            <Text style={styles.muted}>
              {o.trading_day} {istTime(o.filled_at ?? o.created_at)} IST{o.price != null ? ` · ${money(o.price)}` : ''}
            </Text>
            {o.last_error ? <Text style={styles.reason}>{o.last_error}</Text> : null}
          </View>
        ))}
      </View>
    </ScrollView>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <View style={styles.kv}>
      <Text style={styles.muted}>{label}</Text>
      {children}
    </View>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, maxWidth: 720, width: '100%', alignSelf: 'center' },
  card: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, gap: space.sm },
  between: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center' },
  title: { fontSize: 20, fontWeight: '700', color: colors.text, flexShrink: 1 },
  section: { fontSize: 16, fontWeight: '600', color: colors.text },
  muted: { color: colors.muted },
  reason: { color: colors.warn },
  actions: { marginTop: space.sm },
  error: { color: colors.danger },
  kv: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', paddingVertical: 2 },
  value: { color: colors.text, fontWeight: '500' },
  live: { fontSize: 13, fontWeight: '600' },
  liveOn: { color: colors.ok },
  liveOff: { color: colors.muted },
  order: { borderTopWidth: 1, borderTopColor: colors.border, paddingTop: space.sm },
});
