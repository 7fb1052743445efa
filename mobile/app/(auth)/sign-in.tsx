import { Link } from 'expo-router';
import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { TextField } from '@/components/text-field';
import { colors, space } from '@/components/theme';
import { ApiError, errorMessage, isOffline, type FieldErrors } from '@/lib/api';
import { useAuth } from '@/lib/auth';

export default function SignInScreen() {
  const { signIn, notice, apiUrl, setApiUrl } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [server, setServer] = useState(apiUrl);
  const [showServer, setShowServer] = useState(false);
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    const local: FieldErrors = {};
    if (email.trim() === '') local.email = ['This field is required.'];
    if (password === '') local.password = ['This field is required.'];
    setFields(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      if (server !== apiUrl) await setApiUrl(server);
      await signIn(email, password);
    } catch (err) {
      if (err instanceof ApiError) setFields(err.fields);
      setError(isOffline(err) ? `Cannot reach the server at ${server}. Check your connection and the server address.` : errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <KeyboardAvoidingView style={styles.flex} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.body} keyboardShouldPersistTaps="handled">
        <Text style={styles.brand}>Algotrade</Text>
        <Text style={styles.tagline}>Your intraday strategies, live.</Text>
        {notice != null ? (
          <Text style={styles.notice} testID="auth-notice">
            {notice}
          </Text>
        ) : null}
        <TextField label="Email" name="email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" errors={fields.email} />
        <TextField
          label="Password"
          name="password"
          value={password}
          onChangeText={setPassword}
          secureTextEntry
          autoComplete="password"
          errors={fields.password}
          onSubmitEditing={submit}
        />
        {error != null ? (
          <Text style={styles.error} testID="form-error" accessibilityRole="alert">
            {error}
          </Text>
        ) : null}
        <Button title="Sign in" onPress={submit} busy={busy} testID="sign-in" />
        <View style={styles.links}>
          <Link href="/register" style={styles.link} testID="go-register">
            Create an account
          </Link>
          <Text style={styles.link} onPress={() => setShowServer((v) => !v)} testID="toggle-server">
            Server: {apiUrl}
          </Text>
        </View>
        {showServer ? (
          <TextField
            label="Server URL"
            name="server"
            value={server}
            onChangeText={setServer}
            keyboardType="url"
            hint="The address of your Algotrade server, e.g. http://192.168.1.20:8000"
          />
        ) : null}
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.xl, paddingTop: 48, maxWidth: 480, width: '100%', alignSelf: 'center' },
  brand: { fontSize: 32, fontWeight: '800', color: colors.primary },
  tagline: { color: colors.muted, marginBottom: space.xl },
  notice: { backgroundColor: colors.warnBg, color: colors.warn, padding: space.md, borderRadius: 8, marginBottom: space.md },
  error: { color: colors.danger, marginBottom: space.md },
  links: { marginTop: space.lg, gap: space.md },
  link: { color: colors.primary, fontSize: 15 },
});
