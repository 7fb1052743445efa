/**
 * Where a broker login comes back when the server's BROKER_LOGIN_CALLBACK_URL points at the
 * app (algotrade://broker-callback, or https://<web app>/broker-callback): hand the one-time
 * code and the signed state to POST /api/broker/login/callback, then show the result.
 * (Inside an auth session the broker screen does this itself; this route covers a link
 * opened outside it.)
 */
import { router, useLocalSearchParams } from 'expo-router';
import { useEffect, useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { Loading } from '@/components/screen-state';
import { colors, space } from '@/components/theme';
import { errorMessage } from '@/lib/api';
import { useApi } from '@/lib/auth';

export default function BrokerCallbackScreen() {
  const api = useApi();
  const params = useLocalSearchParams<{ state?: string; request_token?: string; auth_code?: string }>();
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (!params.state) {
      setResult({ ok: false, text: 'This link has no login state. Start the login again from the Broker tab.' });
      return;
    }
    api
      .completeBrokerLogin({
        state: params.state,
        ...(params.request_token ? { request_token: params.request_token } : {}),
        ...(params.auth_code ? { auth_code: params.auth_code } : {}),
      })
      .then(
        (account) => setResult({ ok: true, text: `${account.label}: logged in for today.` }),
        (err: unknown) => setResult({ ok: false, text: errorMessage(err) }),
      );
  }, [api, params.state, params.request_token, params.auth_code]);

  if (result == null) return <Loading label="Completing the broker login…" />;
  return (
    <View style={styles.center} testID="broker-callback">
      <Text style={[styles.text, result.ok ? styles.ok : styles.error]}>{result.text}</Text>
      <Button title="Back to broker accounts" onPress={() => router.replace('/broker')} testID="back-to-broker" />
    </View>
  );
}

const styles = StyleSheet.create({
  center: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: space.xl, gap: space.lg, backgroundColor: colors.bg },
  text: { fontSize: 16, textAlign: 'center' },
  ok: { color: colors.ok },
  error: { color: colors.danger },
});
