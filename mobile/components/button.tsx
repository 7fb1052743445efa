import { ActivityIndicator, Pressable, StyleSheet, Text } from 'react-native';

import { colors, space } from './theme';

type Props = {
  title: string;
  onPress: () => void;
  variant?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
  busy?: boolean;
  testID?: string;
};

export function Button({ title, onPress, variant = 'primary', disabled = false, busy = false, testID }: Props) {
  const off = disabled || busy;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityState={{ disabled: off, busy }}
      accessibilityLabel={title}
      disabled={off}
      onPress={onPress}
      testID={testID}
      style={({ pressed }) => [styles.base, styles[variant], off && styles.off, pressed && styles.pressed]}
    >
      {busy ? (
        <ActivityIndicator color={variant === 'secondary' ? colors.primary : colors.primaryText} />
      ) : (
        <Text style={[styles.label, variant === 'secondary' && styles.secondaryLabel]}>{title}</Text>
      )}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  base: { borderRadius: 8, paddingVertical: space.md, paddingHorizontal: space.lg, alignItems: 'center', minHeight: 46, justifyContent: 'center' },
  primary: { backgroundColor: colors.primary },
  secondary: { backgroundColor: colors.card, borderWidth: 1, borderColor: colors.primary },
  danger: { backgroundColor: colors.danger },
  off: { opacity: 0.5 },
  pressed: { opacity: 0.8 },
  label: { color: colors.primaryText, fontWeight: '600', fontSize: 16 },
  secondaryLabel: { color: colors.primary },
});
