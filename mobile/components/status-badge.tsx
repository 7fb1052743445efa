import { StyleSheet, Text } from 'react-native';

import { colors } from './theme';

const TONES: Record<string, { fg: string; bg: string }> = {
  RUNNING: { fg: colors.ok, bg: colors.okBg },
  ACTIVE: { fg: colors.ok, bg: colors.okBg },
  LONG: { fg: colors.ok, bg: colors.okBg },
  FILLED: { fg: colors.ok, bg: colors.okBg },
  ENTERING: { fg: colors.warn, bg: colors.warnBg },
  EXITING: { fg: colors.warn, bg: colors.warnBg },
  NEEDS_LOGIN: { fg: colors.warn, bg: colors.warnBg },
  SUBMITTING: { fg: colors.warn, bg: colors.warnBg },
  UNKNOWN: { fg: colors.warn, bg: colors.warnBg },
  ERROR: { fg: colors.danger, bg: colors.dangerBg },
  FAILED: { fg: colors.danger, bg: colors.dangerBg },
  REJECTED: { fg: colors.danger, bg: colors.dangerBg },
};

export function StatusBadge({ value, testID }: { value: string; testID?: string }) {
  const tone = TONES[value] ?? { fg: colors.muted, bg: '#f3f4f6' };
  return (
    <Text testID={testID} style={[styles.badge, { color: tone.fg, backgroundColor: tone.bg }]}>
      {value.replace('_', ' ')}
    </Text>
  );
}

const styles = StyleSheet.create({
  badge: { fontSize: 12, fontWeight: '700', paddingHorizontal: 8, paddingVertical: 2, borderRadius: 10, overflow: 'hidden', alignSelf: 'flex-start' },
});
