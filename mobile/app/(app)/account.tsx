import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button } from '@/components/button';
import { TextField } from '@/components/text-field';
import { colors, space } from '@/components/theme';
import { useAuth } from '@/lib/auth';

export default function AccountScreen() {
  const { user, apiUrl, setApiUrl, signOut } = useAuth();
  const [server, setServer] = useState(apiUrl);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  return (
    <ScrollView style={styles.flex} contentContainerStyle={styles.body}>
      <View style={styles.card}>
        <Text style={styles.muted}>Signed in as</Text>
        <Text style={styles.title} testID="account-email">
          {user?.email}
        </Text>
        <Text style={styles.muted}>Role: {user?.role}</Text>
      </View>
      <View style={styles.card}>
        <TextField
          label="Server URL"
          name="server"
          value={server}
          onChangeText={(v) => {
            setServer(v);
            setSaved(false);
          }}
          keyboardType="url"
          hint="Where the app finds your Algotrade server. Live updates use the same address."
        />
        <Button
          title={saved ? 'Saved' : 'Save server URL'}
          variant="secondary"
          disabled={server === apiUrl}
          onPress={async () => {
            await setApiUrl(server);
            setSaved(true);
          }}
          testID="save-server"
        />
      </View>
      <Button
        title="Sign out"
        variant="danger"
        busy={busy}
        onPress={async () => {
          setBusy(true);
          await signOut();
        }}
        testID="sign-out"
      />
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  flex: { flex: 1, backgroundColor: colors.bg },
  body: { padding: space.lg, gap: space.md, maxWidth: 640, width: '100%', alignSelf: 'center' },
  card: { backgroundColor: colors.card, borderRadius: 10, padding: space.lg, borderWidth: 1, borderColor: colors.border, gap: space.xs },
  title: { fontSize: 17, fontWeight: '600', color: colors.text },
  muted: { color: colors.muted },
});
