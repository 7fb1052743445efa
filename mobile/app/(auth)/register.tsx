import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text } from 'react-native';

import { Button } from '@/components/button';
import { TextField } from '@/components/text-field';
import { colors, space } from '@/components/theme';
import { ApiError, errorMessage, type FieldErrors } from '@/lib/api';
import { useAuth } from '@/lib/auth';

export default function RegisterScreen() {
  const { register } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    const local: FieldErrors = {};
    if (email.trim() === '') local.email = ['This field is required.'];
    else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) local.email = ['Enter a valid email address.'];
    if (password === '') local.password = ['This field is required.'];
    if (confirm !== password) local.confirm = ['The passwords do not match.'];
    setFields(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await register(email, password); // signs in too; the auth guard then shows the app
    } catch (err) {
      if (err instanceof ApiError) setFields(err.fields);
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <KeyboardAvoidingView style={styles.flex} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.body} keyboardShouldPersistTaps="handled">
        <TextField label="Email" name="email" value={email} onChangeText={setEmail} keyboardType="email-address" errors={fields.email} />
        <TextField label="Password" name="password" value={password} onChangeText={setPassword} secureTextEntry errors={fields.password} />
        <TextField label="Confirm password" name="confirm" value={confirm} onChangeText={setConfirm} secureTextEntry errors={fields.confirm} />
        {error != null ? (
          <Text style={styles.error} testID="form-error" accessibilityRole="alert">
            {error}
          </Text>
        ) : null}
        <Button title="Create account" onPress={submit} busy={busy} testID="register" />
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.xl, maxWidth: 480, width: '100%', alignSelf: 'center' },
  error: { color: colors.danger, marginBottom: space.md },
});
