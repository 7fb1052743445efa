/** Strategy creator: checks mirror the API (lib/strategy-form.ts); server field errors land on the same inputs. */
import { router } from 'expo-router';
import { useEffect, useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { ErrorState, Loading } from '@/components/screen-state';
import { Segmented } from '@/components/segmented';
import { FieldError, TextField } from '@/components/text-field';
import { colors, space } from '@/components/theme';
import { ApiError, errorMessage, isOffline, type FieldErrors } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { WEEKDAYS } from '@/lib/format';
import { EMPTY_FORM, splitServerErrors, toStrategyInput, validateStrategy, type StrategyForm } from '@/lib/strategy-form';
import { useResource } from '@/lib/use-resource';

export default function NewStrategyScreen() {
  const api = useApi();
  const accounts = useResource(() => api.brokerAccounts(), [api]);
  const [form, setForm] = useState<StrategyForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Preselect the only (or first active) broker account.
  useEffect(() => {
    const rows = accounts.data;
    if (rows == null || rows.length === 0 || form.broker_account != null) return;
    const pick = rows.find((a) => a.status === 'ACTIVE') ?? rows[0];
    setForm((f) => ({ ...f, broker_account: pick.id }));
  }, [accounts.data, form.broker_account]);

  function set<K extends keyof StrategyForm>(key: K, value: StrategyForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key] != null) setErrors(({ [key]: _dropped, ...rest }) => rest);
  }

  function toggleDay(day: number) {
    set('days', form.days.includes(day) ? form.days.filter((d) => d !== day) : [...form.days, day]);
  }

  async function submit() {
    const local = validateStrategy(form);
    setErrors(local);
    setFormError(Object.keys(local).length > 0 ? 'Please fix the highlighted fields.' : null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const created = await api.createStrategy(toStrategyInput(form));
      router.replace(`/strategies/${created.id}`);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const split = splitServerErrors(err.fields);
        setErrors(split.fields);
        setFormError(split.other.length > 0 ? split.other.join(' ') : err.message);
      } else {
        setFormError(isOffline(err) ? 'You are offline: the strategy was not created. Try again when connected.' : errorMessage(err));
      }
      setBusy(false);
    }
  }

  if (accounts.loading && accounts.data === undefined) return <Loading />;
  if (accounts.data === undefined) return <ErrorState error={accounts.error} retry={accounts.refresh} />;
  if (accounts.data.length === 0) {
    return (
      <View style={styles.center} testID="no-broker">
        <Text style={styles.title}>Connect a broker first</Text>
        <Text style={styles.muted}>Strategies place orders through one of your broker accounts. The paper broker needs no credentials.</Text>
        <Button title="Set up a broker" onPress={() => router.navigate('/broker')} testID="go-broker" />
      </View>
    );
  }

  return (
    <KeyboardAvoidingView style={styles.flex} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.body} keyboardShouldPersistTaps="handled" testID="strategy-form">
        <TextField label="Name" name="name" value={form.name} onChangeText={(v) => set('name', v)} errors={errors.name} autoCapitalize="sentences" />
        <TextField
          label="Symbol"
          name="symbol"
          value={form.symbol}
          onChangeText={(v) => set('symbol', v.toUpperCase())}
          autoCapitalize="characters"
          placeholder="TCS"
          errors={errors.symbol}
        />
        <Text style={styles.label}>Exchange</Text>
        <Segmented
          testID="exchange"
          options={[
            { value: 'NSE', label: 'NSE' },
            { value: 'BSE', label: 'BSE' },
          ]}
          value={form.exchange}
          onChange={(v) => set('exchange', v)}
        />
        <FieldError name="exchange" errors={errors.exchange} />
        <View style={styles.gap} />
        <TextField label="Quantity" name="quantity" value={form.quantity} onChangeText={(v) => set('quantity', v)} keyboardType="number-pad" errors={errors.quantity} />
        <View style={styles.row}>
          <View style={styles.half}>
            <TextField
              label="Buy time (IST)"
              name="buy_time"
              value={form.buy_time}
              onChangeText={(v) => set('buy_time', v)}
              placeholder="09:20:00"
              keyboardType="numbers-and-punctuation"
              errors={errors.buy_time}
            />
          </View>
          <View style={styles.half}>
            <TextField
              label="Sell time (IST)"
              name="sell_time"
              value={form.sell_time}
              onChangeText={(v) => set('sell_time', v)}
              placeholder="15:10:00"
              keyboardType="numbers-and-punctuation"
              errors={errors.sell_time}
            />
          </View>
        </View>
        <TextField
          label="Stop-loss (₹)"
          name="stop_loss"
          value={form.stop_loss}
          onChangeText={(v) => set('stop_loss', v)}
          placeholder="3400.00"
          keyboardType="decimal-pad"
          hint="Sells at once when the price is at or below this."
          errors={errors.stop_loss}
        />
        <Text style={styles.label}>Product</Text>
        <Segmented
          testID="product"
          options={[
            { value: 'MIS', label: 'Intraday (MIS)' },
            { value: 'CNC', label: 'Delivery (CNC)' },
          ]}
          value={form.product}
          onChange={(v) => set('product', v)}
        />
        <FieldError name="product" errors={errors.product} />
        <View style={styles.gap} />
        <Text style={styles.label}>Broker account</Text>
        <Segmented
          testID="broker-account"
          options={accounts.data.map((a) => ({ value: a.id, label: `${a.label}${a.status === 'ACTIVE' ? '' : ' (login needed)'}` }))}
          value={form.broker_account}
          onChange={(v) => set('broker_account', v)}
        />
        <FieldError name="broker_account" errors={errors.broker_account} />
        <View style={styles.gap} />
        <Text style={styles.label}>Days</Text>
        <Segmented testID="day" options={WEEKDAYS.map((label, value) => ({ value, label }))} value={form.days} onChange={toggleDay} />
        <FieldError name="days" errors={errors.days} />
        <View style={styles.gap} />
        {formError != null ? (
          <Text style={styles.error} testID="form-error" accessibilityRole="alert">
            {formError}
          </Text>
        ) : null}
        <Button title="Create strategy" onPress={submit} busy={busy} testID="create-strategy" />
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, paddingBottom: 48, maxWidth: 640, width: '100%', alignSelf: 'center' },
  center: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: space.xl, gap: space.md, backgroundColor: colors.bg },
  title: { fontSize: 18, fontWeight: '600', color: colors.text },
  muted: { color: colors.muted, textAlign: 'center' },
  label: { fontSize: 14, fontWeight: '600', color: colors.text, marginBottom: space.xs },
  row: { flexDirection: 'row', gap: space.md },
  half: { flex: 1 },
  gap: { height: space.md },
  error: { color: colors.danger, marginBottom: space.md },
});
