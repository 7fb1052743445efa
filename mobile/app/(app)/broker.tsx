/**
 * Broker setup: connected accounts with their token status, the daily re-login through the
 * broker's own login page (Kite and Fyers tokens die every morning), and connecting a new
 * account (the paper broker needs no credentials).
 */
import * as Linking from 'expo-linking';
import { useFocusEffect } from 'expo-router';
import * as WebBrowser from 'expo-web-browser';
import { useCallback, useEffect, useRef, useState } from 'react';
import { RefreshControl, ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { ErrorState, InlineError, Loading } from '@/components/screen-state';
import { Segmented } from '@/components/segmented';
import { StatusBadge } from '@/components/status-badge';
import { FieldError, TextField } from '@/components/text-field';
import { colors, space } from '@/components/theme';
import { ApiError, errorMessage, type BrokerAccount, type BrokerInfo, type FieldErrors } from '@/lib/api';
import { useApi } from '@/lib/auth';
import { queryParams, sessionLabel } from '@/lib/broker-session';
import { useResource } from '@/lib/use-resource';

export default function BrokerScreen() {
  const api = useApi();
  const data = useResource(async () => {
    const [brokers, accounts] = await Promise.all([api.brokers(), api.brokerAccounts()]);
    return { brokers, accounts };
  }, [api]);
  const first = useRef(true);

  useFocusEffect(
    useCallback(() => {
      if (first.current) first.current = false;
      else void data.reload();
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []),
  );

  if (data.loading && data.data === undefined) return <Loading />;
  if (data.data === undefined) return <ErrorState error={data.error} retry={data.refresh} />;
  const { brokers, accounts } = data.data;
  const names = Object.fromEntries(brokers.map((b) => [b.name, b.display_name]));

  return (
    <ScrollView
      style={styles.flex}
      contentContainerStyle={styles.body}
      refreshControl={<RefreshControl refreshing={data.refreshing} onRefresh={data.refresh} />}
      testID="broker-screen"
      keyboardShouldPersistTaps="handled"
    >
      <InlineError error={data.error} />
      <Text style={styles.section}>Your broker accounts</Text>
      {accounts.length === 0 ? (
        <Text style={styles.muted} testID="no-accounts">
          None yet. Connect one below: the paper broker trades with simulated money and needs no credentials.
        </Text>
      ) : null}
      {accounts.map((a) => (
        <AccountCard
          key={a.id}
          account={a}
          brokerName={names[a.broker] ?? a.broker}
          secretFields={brokers.find((b) => b.name === a.broker)?.credential_fields.filter((f) => f.secret) ?? []}
          onChanged={data.reload}
        />
      ))}
      <ConnectForm brokers={brokers.filter((b) => b.available)} onConnected={data.reload} />
    </ScrollView>
  );
}

function AccountCard({ account: a, brokerName, secretFields, onChanged }: {
  account: BrokerAccount;
  brokerName: string;
  secretFields: { name: string; label: string }[];
  onChanged: () => Promise<void>;
}) {
  const api = useApi();
  const session = sessionLabel(a);
  const method = a.login_method ?? (a.broker === 'paper' ? 'none' : 'redirect');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [tokens, setTokens] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<FieldErrors>({});

  async function relogin() {
    setBusy(true);
    setMessage(null);
    try {
      const started = await api.startBrokerLogin(a.id);
      if (started.login_url == null) {
        setMessage(started.message);
      } else {
        // The broker's own login page. If the server's callback URL is this app's
        // /broker-callback, the auth session returns the one-time code here; otherwise the
        // server completes the login itself and the fresh status is re-read below.
        const returnTo = Linking.createURL('/broker-callback');
        const result = await WebBrowser.openAuthSessionAsync(started.login_url, returnTo);
        const params = result.type === 'success' ? queryParams(result.url) : {};
        if (typeof params.state === 'string') {
          await api.completeBrokerLogin({
            state: params.state,
            ...(params.request_token ? { request_token: params.request_token } : {}),
            ...(params.auth_code ? { auth_code: params.auth_code } : {}),
          });
          setMessage('Logged in for today.');
        }
      }
      await onChanged();
    } catch (err) {
      setMessage(
        err instanceof ApiError && err.status === 404 && err.code === 'not_found'
          ? 'This server does not offer the broker login yet. Reconnect the account with a fresh access token instead.'
          : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  }

  async function saveTokens() {
    setBusy(true);
    setMessage(null);
    setErrors({});
    try {
      await api.updateBrokerCredentials(a.id, tokens);
      setTokens({});
      setMessage('Token updated.');
      await onChanged();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setMessage(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View style={styles.card} testID={`account-${a.id}`}>
      <View style={styles.between}>
        <Text style={styles.title}>{a.label}</Text>
        <StatusBadge value={a.status} testID={`account-${a.id}-status`} />
      </View>
      <Text style={styles.muted}>{brokerName}</Text>
      <Text style={[styles.muted, session.needsLogin && styles.warn]} testID={`account-${a.id}-token`}>
        {session.label}
      </Text>
      {a.status_reason ? <Text style={styles.warn}>{a.status_reason}</Text> : null}
      {method === 'token' ? (
        <View>
          {secretFields.map((f) => (
            <TextField
              key={f.name}
              label={`New ${f.label.toLowerCase()}`}
              name={`account-${a.id}-credentials.${f.name}`}
              value={tokens[f.name] ?? ''}
              onChangeText={(v) => setTokens((t) => ({ ...t, [f.name]: v }))}
              secureTextEntry
              errors={errors[`credentials.${f.name}`]}
            />
          ))}
          <Button title="Update token" onPress={saveTokens} busy={busy} disabled={Object.values(tokens).every((v) => v.trim() === '')} testID={`account-${a.id}-update-token`} />
        </View>
      ) : null}
      {method === 'redirect' || method === 'totp' ? (
        <Button
          title={session.needsLogin ? 'Log in to broker' : method === 'totp' ? 'Check login' : 'Log in again'}
          variant={session.needsLogin ? 'primary' : 'secondary'}
          onPress={relogin}
          busy={busy}
          testID={`account-${a.id}-login`}
        />
      ) : null}
      {message != null ? (
        <Text style={styles.muted} testID={`account-${a.id}-message`}>
          {message}
        </Text>
      ) : null}
    </View>
  );
}

function ConnectForm({ brokers, onConnected }: { brokers: BrokerInfo[]; onConnected: () => Promise<void> }) {
  const api = useApi();
  const [broker, setBroker] = useState<string | null>(brokers.find((b) => b.name === 'paper')?.name ?? brokers[0]?.name ?? null);
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [label, setLabel] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const info = brokers.find((b) => b.name === broker);

  useEffect(() => {
    setCredentials({});
    setErrors({});
  }, [broker]);

  async function connect() {
    if (info == null) return;
    const local: FieldErrors = {};
    for (const f of info.credential_fields) {
      if (f.required && (credentials[f.name] ?? '').trim() === '') local[`credentials.${f.name}`] = ['This field is required.'];
    }
    setErrors(local);
    setFormError(null);
    setDone(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const account = await api.connectBroker({ broker: info.name, credentials, ...(label.trim() ? { label: label.trim() } : {}) });
      setDone(`Connected ${account.label}.`);
      setCredentials({});
      setLabel('');
      await onConnected();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (brokers.length === 0) return null;
  return (
    <View style={styles.card} testID="connect-form">
      <Text style={styles.section}>Connect a broker</Text>
      <Segmented testID="broker" options={brokers.map((b) => ({ value: b.name, label: b.display_name }))} value={broker} onChange={setBroker} />
      <FieldError name="broker" errors={errors.broker} />
      {info?.credential_fields.map((f) => (
        <TextField
          key={f.name}
          label={f.label + (f.required ? '' : ' (optional)')}
          name={`credentials.${f.name}`}
          value={credentials[f.name] ?? ''}
          onChangeText={(v) => setCredentials((c) => ({ ...c, [f.name]: v }))}
          secureTextEntry={f.secret}
          errors={errors[`credentials.${f.name}`]}
        />
      ))}
      <FieldError name="credentials" errors={errors.credentials} />
      <TextField label="Label (optional)" name="label" value={label} onChangeText={setLabel} errors={errors.label} autoCapitalize="sentences" />
      {formError != null ? (
        <Text style={styles.error} testID="connect-error" accessibilityRole="alert">
          {formError}
        </Text>
      ) : null}
      {done != null ? (
        <Text style={styles.ok} testID="connect-done">
          {done}
        </Text>
      ) : null}
      <Button title={`Connect ${info?.display_name ?? ''}`.trim()} onPress={connect} busy={busy} testID="connect-broker" />
    </View>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, maxWidth: 720, width: '100%', alignSelf: 'center' },
  section: { fontSize: 16, fontWeight: '600', color: colors.text },
  card: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, gap: space.sm },
  between: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center' },
  title: { fontSize: 17, fontWeight: '600', color: colors.text },
  muted: { color: colors.muted },
  warn: { color: colors.warn },
  error: { color: colors.danger },
  ok: { color: colors.ok },
});
